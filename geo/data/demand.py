r"""Demand points: residents where they live (SSB grid), scaled to each bydel's published figure.

:func:`grid_demand` places each bydel's residents on SSB's population grid of 2015 (100 m for
Oslo, or 250 m for all of Norway) and scales every bydel to the chosen year's figure
(dasymetric mapping):

.. math::

    w_c = g_c \cdot \frac{P_b}{G_b}, \qquad G_b = \sum_{c \in b} g_c,

where :math:`g_c` is the cell's count in 2015, :math:`G_b` the bydel's grid sum in 2015 and
:math:`P_b` the bydel's figure for the chosen year, so that :math:`\sum_{c \in b} w_c = P_b`.
Each cell is assigned to a delbydel by its centre and takes its bydel from that delbydel, so
bydel and delbydel always agree. :func:`load_demand` tries the 100 m grid, then the 250 m grid,
then a uniform spread over the polygons (:func:`uniform_demand`), and says which one it used
and why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.data.datasets import DATASETS, find_dataset
from geo.data.population import UNKNOWN_CODE
from geo.data.population_grid import GRID_FILES, GRID_YEAR, cell_centres, grid_bbox, read_grid
from geo.errors import DatasetMissingError, InputError, Problem
from geo.names import BYDEL_CODES

__all__ = [
    "DEMAND_COLUMNS",
    "DEMAND_METHODS",
    "METHOD_LABELS",
    "grid_demand",
    "load_demand",
    "uniform_demand",
]

DEMAND_COLUMNS = [
    "demand_id",
    "cell_id",
    "delbydel_code",
    "bydel_code",
    "grid_count",
    "weight",
    "geometry",
]
"""Columns of every demand table made here."""


_GRID_NOTE = (
    "Innbyggerne er plassert etter SSBs rutenett på {cell} m ({grid_year}) og skalert til SSBs "
    "bydelstall per 1.1.{year}; nye boligområder siden {grid_year} (f.eks. Bjørvika, Hovinbyen) "
    "er underrepresentert."
)


_UNIFORM_NOTE = (
    "Innbyggerne i hver bydel er fordelt jevnt over bydelens areal (ruter på {cell} m) og "
    "skalert til SSBs bydelstall per 1.1.{year}; sjø, skog og parker innenfor bydelsgrensen får "
    "derfor også innbyggere."
)


_FALLBACK_BYDEL_NOTE = (
    "{name} ({code}) har {pop} innbyggere, men ingen befolket rute i rutenettet; bydelens "
    "innbyggere er fordelt jevnt over bydelens areal (ruter på {cell} m)."
)


DEMAND_METHODS = ("100m", "250m", "uniform")
"""How residents can be placed, best first: SSB's 100 m grid, its 250 m grid, evenly per bydel."""

METHOD_LABELS = {
    "100m": "SSBs rutenett på 100 m",
    "250m": "SSBs rutenett på 250 m",
    "uniform": "jevn fordeling over bydelenes areal",
}


_MIN_PIECE_M2 = 1.0


def grid_demand(
    grid_path: str | Path,
    bydeler: gpd.GeoDataFrame,
    population: pd.DataFrame,
    cell_m: int | None = None,
    *,
    delbydeler: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    r"""Place each bydel's residents on SSB's 2015 grid, scaled to the chosen year.

    Every populated cell is assigned to the delbydel that holds its centre (a centre on a shared
    boundary goes to the lower code) and takes that delbydel's bydel. Then

    .. math::

        w_c = g_c \cdot \frac{P_b}{G_b}, \qquad G_b = \sum_{c \in b} g_c ,

    so each bydel's weights sum to :math:`P_b`. A bydel with residents but no populated cell is
    spread uniformly over its area instead (see :func:`uniform_demand`) and named in
    ``attrs["notes"]``. Bydeler without a polygon (Marka) and residents with unknown bydel are
    reported in ``attrs["unallocated"]``, not placed.

    Parameters
    ----------
    grid_path
        The 100 m file (``rute_100m sum``) or the 250 m file (``ru250m;pop_tot``, may be gzipped).
    bydeler
        Bydel polygons (:func:`geo.boundaries.load_bydeler`), used to cross-check the bydel of
        each cell and for the uniform fallback.
    population
        Output of :func:`load_bydel_series` (``bydel_code``, ``population``; ``attrs``
        ``population_year`` and ``unknown_bydel``).
    cell_m
        Cell size in metres; from the file's header when ``None`` (must agree when given).
    delbydeler
        Delbydel polygons (:func:`geo.boundaries.load_delbydeler`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``demand_id`` (0..n-1), ``cell_id`` (int64; -1 for uniform pieces), ``delbydel_code``,
        ``bydel_code``, ``grid_count`` (2015 count; 0 for uniform pieces), ``weight`` (residents,
        float), ``geometry`` (cell centres, EPSG:25832). ``attrs``: ``population_year``,
        ``grid`` (``"ssb100m_2015"``/``"ssb250m_2015"``), ``cell_m``, ``unallocated``
        (``{code: residents}``, incl. 030117 and 030199), ``not_placed`` (``cells``/``residents``
        near Oslo whose centre is outside every delbydel: Marka, islands, edges and, with the
        national file, the neighbouring kommuner), ``outside_bbox`` (``cells``/``residents``
        dropped by the pre-filter box around Oslo kommune), ``bydel_check``
        (``cells``/``residents`` whose bydel by bydel polygon differs from their delbydel's
        bydel), ``grid_sums``
        (:math:`G_b`), ``method_note``, ``notes`` (bydeler spread uniformly), ``note``
        (``method_note`` and ``notes`` joined, for code that reads ``attrs["note"]``),
        ``source_path``.

    Raises
    ------
    geo.io.InputError
        When the grid file is broken, or a bydel with a polygon has no population figure.

    """
    targets = _targets(population, _placeable_codes(bydeler, delbydeler))
    grid = read_grid(grid_path, cell_m, bbox=grid_bbox(bydeler, delbydeler))
    size = int(grid.attrs["cell_m"])
    east, north = cell_centres(grid["cell_id"].to_numpy(), size)
    points = shapely.points(east, north)
    delbydel = _lowest_code_hit(points, delbydeler, "delbydel_code")
    to_bydel = pd.Series(delbydeler["bydel_code"].to_numpy(), index=delbydeler["delbydel_code"])
    bydel = pd.Series(delbydel, dtype=object).map(to_bydel).to_numpy(dtype=object)
    bydel[pd.isna(bydel)] = None
    by_polygon = _lowest_code_hit(points, bydeler, "bydel_code")
    counts = grid["count"].to_numpy()
    differ = bydel != by_polygon
    placed = pd.notna(delbydel)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": grid["cell_id"].to_numpy()[placed],
            "delbydel_code": delbydel[placed],
            "bydel_code": bydel[placed],
            "grid_count": counts[placed],
        },
        geometry=points[placed],
        crs=settings.ANALYSIS_CRS,
    )
    out, notes = _scale_with_fallback(cells, targets, bydeler, delbydeler, size)
    year = population.attrs.get("population_year")
    out.attrs.update(
        population_year=year,
        grid=f"ssb{size}m_{GRID_YEAR}",
        cell_m=size,
        unallocated=_unallocated(population, set(targets.index)),
        not_placed={"cells": int((~placed).sum()), "residents": int(counts[~placed].sum())},
        outside_bbox={
            "cells": int(grid.attrs["n_cells_file"] - len(grid)),
            "residents": int(grid.attrs["residents_file"] - counts.sum()),
        },
        bydel_check={"cells": int(differ.sum()), "residents": int(counts[differ].sum())},
        grid_sums={
            str(k): int(v) for k, v in cells.groupby("bydel_code")["grid_count"].sum().items()
        },
        method_note=_GRID_NOTE.format(cell=size, grid_year=GRID_YEAR, year=year),
        notes=notes,
        source_path=str(grid_path),
    )
    return _with_note(out)


def _with_note(out: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Set ``attrs["note"]`` (read by the project's outputs): the method note and any notes."""
    out.attrs["note"] = " ".join([out.attrs["method_note"], *out.attrs.get("notes", [])])
    return out


def _placeable_codes(bydeler: gpd.GeoDataFrame, delbydeler: gpd.GeoDataFrame) -> list[str]:
    """Bydel codes that have a polygon (in either layer)."""
    return sorted(set(bydeler["bydel_code"]) | set(delbydeler["bydel_code"]))


def _targets(population: pd.DataFrame, codes: list[str]) -> pd.Series:
    """Return :math:`P_b` for every bydel with a polygon; raise if one is missing."""
    for column in ("bydel_code", "population"):
        if column not in population.columns:
            raise InputError(
                Problem(_population_name(population), None, column, "Kolonnen mangler.")
            )
    figures = population.set_index(population["bydel_code"].astype(str))["population"]
    missing = [c for c in codes if c not in figures.index]
    if missing:
        names = ", ".join(f"{BYDEL_CODES.get(c, c)} ({c})" for c in missing)
        raise InputError(
            Problem(
                _population_name(population),
                None,
                "bydel_code",
                f"Ingen befolkningstall for {names}, som har polygon i bydelskartet.",
            )
        )
    return figures.loc[codes].astype(float)


def _population_name(population: pd.DataFrame) -> str:
    return str(population.attrs.get("source_path", "befolkningstabellen"))


def _unallocated(population: pd.DataFrame, placed: set[str]) -> dict[str, int]:
    out = {
        str(code): int(pop)
        for code, pop in zip(population["bydel_code"], population["population"], strict=True)
        if str(code) not in placed
    }
    out[UNKNOWN_CODE] = int(population.attrs.get("unknown_bydel", 0))
    return out


def _lowest_code_hit(points: np.ndarray, polygons: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """Code of the polygon holding each point (``None`` if none; lowest code on a boundary)."""
    result = np.full(len(points), None, dtype=object)
    if len(points) == 0 or len(polygons) == 0:
        return result
    idx_pt, idx_poly = polygons.sindex.query(points, predicate="intersects")
    codes = polygons[column].astype(str).to_numpy()
    hit_codes = codes[idx_poly]
    order = np.lexsort((hit_codes, idx_pt))
    idx_pt, hit_codes = idx_pt[order], hit_codes[order]
    first = np.ones(len(idx_pt), dtype=bool)
    first[1:] = idx_pt[1:] != idx_pt[:-1]
    result[idx_pt[first]] = hit_codes[first]
    return result


def _scale_with_fallback(
    cells: gpd.GeoDataFrame,
    targets: pd.Series,
    bydeler: gpd.GeoDataFrame,
    delbydeler: gpd.GeoDataFrame,
    cell_m: int,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Scale the cells to :math:`P_b`; spread bydeler without cells uniformly."""
    grid_sum = cells.groupby("bydel_code")["grid_count"].sum()
    factor = (targets / grid_sum.reindex(targets.index)).reindex(cells["bydel_code"]).to_numpy()
    cells = cells.assign(weight=cells["grid_count"].to_numpy(dtype=float) * factor)
    empty = [c for c in targets.index if targets[c] > 0 and c not in grid_sum.index]
    notes = [
        _FALLBACK_BYDEL_NOTE.format(
            name=BYDEL_CODES.get(c, c), code=c, pop=int(targets[c]), cell=cell_m
        )
        for c in empty
    ]
    parts = [cells]
    if empty:
        parts.append(_uniform_pieces(_areas(bydeler, delbydeler, empty), targets, float(cell_m)))
    return _assemble(parts), notes


def _assemble(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frame = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=settings.ANALYSIS_CRS)
    out = out.sort_values(["bydel_code", "delbydel_code", "cell_id"], na_position="last")
    out = out.reset_index(drop=True)
    out["demand_id"] = np.arange(len(out), dtype=np.int64)
    out["cell_id"] = out["cell_id"].astype(np.int64)
    out["grid_count"] = out["grid_count"].astype(np.int64)
    out["weight"] = out["weight"].astype(float)
    out["delbydel_code"] = out["delbydel_code"].astype(object)
    out["bydel_code"] = out["bydel_code"].astype(object)
    return gpd.GeoDataFrame(out[DEMAND_COLUMNS], geometry="geometry", crs=settings.ANALYSIS_CRS)


def uniform_demand(
    bydeler: gpd.GeoDataFrame,
    delbydeler: gpd.GeoDataFrame,
    population: pd.DataFrame,
    cell_m: float = settings.DEFAULT_CELL_M,
) -> gpd.GeoDataFrame:
    r"""Spread each bydel's residents uniformly over its area (no grid file needed).

    A square grid of ``cell_m`` metres (EPSG:25832) is clipped to each delbydel (to the bydel
    polygon for a bydel without delbydeler), and each piece gets

    .. math::

        w_c = P_b \cdot \frac{A_c}{\sum_{c' \in b} A_{c'}} .

    The point of a piece is a point inside it. Sea, forest and parks inside the boundary get
    residents too: a last resort, said so in ``attrs["method_note"]``.

    Parameters
    ----------
    bydeler
        Bydel polygons.
    delbydeler
        Delbydel polygons (same outline); they give each piece its delbydel.
    population
        Output of :func:`load_bydel_series`.
    cell_m
        Side of the grid squares in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns and ``attrs`` as :func:`grid_demand`, with ``cell_id`` -1, ``grid_count`` 0
        and ``grid`` ``"uniform"``; ``not_placed`` and ``bydel_check`` are zero.

    """
    targets = _targets(population, _placeable_codes(bydeler, delbydeler))
    codes = [c for c in targets.index if targets[c] > 0]
    out = _assemble([_uniform_pieces(_areas(bydeler, delbydeler, codes), targets, cell_m)])
    year = population.attrs.get("population_year")
    out.attrs.update(
        population_year=year,
        grid="uniform",
        cell_m=cell_m,
        unallocated=_unallocated(population, set(targets.index)),
        not_placed={"cells": 0, "residents": 0},
        outside_bbox={"cells": 0, "residents": 0},
        bydel_check={"cells": 0, "residents": 0},
        grid_sums={},
        method_note=_UNIFORM_NOTE.format(cell=f"{cell_m:.0f}", year=year),
        notes=[],
        source_path="",
    )
    return _with_note(out)


def _areas(
    bydeler: gpd.GeoDataFrame, delbydeler: gpd.GeoDataFrame, codes: list[str]
) -> gpd.GeoDataFrame:
    """Polygons to spread over: the delbydeler of each bydel, or the bydel polygon if none."""
    parts = delbydeler[delbydeler["bydel_code"].isin(codes)]
    without = set(codes) - set(parts["bydel_code"])
    extra = bydeler[bydeler["bydel_code"].isin(without)]
    return gpd.GeoDataFrame(
        {
            "delbydel_code": [*parts["delbydel_code"], *([None] * len(extra))],
            "bydel_code": [*parts["bydel_code"], *extra["bydel_code"]],
        },
        geometry=[*parts.geometry, *extra.geometry],
        crs=settings.ANALYSIS_CRS,
    )


def _uniform_pieces(areas: gpd.GeoDataFrame, targets: pd.Series, cell_m: float) -> gpd.GeoDataFrame:
    empty = gpd.GeoDataFrame(
        {"cell_id": [], "delbydel_code": [], "bydel_code": [], "grid_count": [], "weight": []},
        geometry=[],
        crs=settings.ANALYSIS_CRS,
    )
    if len(areas) == 0:
        return empty
    minx, miny, maxx, maxy = areas.total_bounds
    xs = np.arange(math.floor(minx / cell_m) * cell_m, maxx, cell_m)
    ys = np.arange(math.floor(miny / cell_m) * cell_m, maxy, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
    idx_area, idx_box = shapely.STRtree(boxes).query(areas.geometry.values, predicate="intersects")
    pieces = shapely.intersection(boxes[idx_box], areas.geometry.values[idx_area])
    area = shapely.area(pieces)
    keep = area > _MIN_PIECE_M2
    idx_area, pieces, area = idx_area[keep], pieces[keep], area[keep]
    bydel = areas["bydel_code"].to_numpy()[idx_area]
    area_sum = pd.Series(area).groupby(bydel).transform("sum").to_numpy()
    weight = targets.reindex(bydel).to_numpy(dtype=float) * area / area_sum
    return gpd.GeoDataFrame(
        {
            "cell_id": np.full(len(pieces), -1, dtype=np.int64),
            "delbydel_code": areas["delbydel_code"].to_numpy()[idx_area],
            "bydel_code": bydel,
            "grid_count": np.zeros(len(pieces), dtype=np.int64),
            "weight": weight,
        },
        geometry=shapely.point_on_surface(pieces),
        crs=settings.ANALYSIS_CRS,
    )


def load_demand(
    data_dir: str | Path,
    bydeler: gpd.GeoDataFrame,
    delbydeler: gpd.GeoDataFrame,
    population: pd.DataFrame,
    prefer: Sequence[str] = DEMAND_METHODS,
    cell_m: float = settings.DEFAULT_CELL_M,
) -> gpd.GeoDataFrame:
    """Build demand points with the best method available.

    Tries, in the order of ``prefer``: SSB's 100 m grid, SSB's 250 m grid (both from
    :data:`GRID_FILES` under ``data_dir``), and a uniform spread over the polygons. A grid file
    that is missing or cannot be read is skipped; ``attrs["method_note"]`` then starts with a
    sentence saying which method was not used and why.

    Parameters
    ----------
    data_dir
        The reference-data directory (:func:`geo.settings.data_dir`).
    bydeler
        Bydel polygons.
    delbydeler
        Delbydel polygons.
    population
        Output of :func:`load_bydel_series`.
    prefer
        Methods to try, among ``"100m"``, ``"250m"`` and ``"uniform"``.
    cell_m
        Cell size of the uniform spread (the grids have their own).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`grid_demand`, with ``attrs["method"]`` (the method used) and
        ``attrs["fallback_reasons"]`` (one bokmål sentence per method skipped).

    Raises
    ------
    ValueError
        For an unknown method name.
    geo.io.InputError
        When no method in ``prefer`` could be used.

    """
    unknown = [m for m in prefer if m not in METHOD_LABELS]
    if unknown:
        raise ValueError(f"Ukjent metode {unknown}; velg blant {list(METHOD_LABELS)}.")
    reasons: list[str] = []
    for method in prefer:
        if method == "uniform":
            out = uniform_demand(bydeler, delbydeler, population, cell_m)
        else:
            attempt = _try_grid(Path(data_dir), method, (bydeler, delbydeler), population)
            if isinstance(attempt, str):
                reasons.append(attempt)
                continue
            out = attempt
        out.attrs["method"] = method
        out.attrs["fallback_reasons"] = reasons
        if reasons:
            out.attrs["method_note"] = " ".join([*reasons, out.attrs["method_note"]])
        return _with_note(out)
    raise InputError(
        Problem(str(data_dir), None, None, "Ingen metode kunne brukes. " + " ".join(reasons))
    )


def _try_grid(
    data_dir: Path,
    method: str,
    layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    population: pd.DataFrame,
) -> gpd.GeoDataFrame | str:
    """Return the grid demand, or a bokmål sentence saying why the grid could not be used."""
    key, size = GRID_FILES[method]
    relpath = DATASETS[key].relpath
    label = METHOD_LABELS[method]
    try:
        path = find_dataset(key, data_dir)
    except DatasetMissingError:
        return f"{label[0].upper()}{label[1:]} ble ikke brukt: filen {relpath} finnes ikke."
    try:
        return grid_demand(path, layers[0], population, size, delbydeler=layers[1])
    except InputError as exc:
        first = exc.problems[0]
        return (
            f"{label[0].upper()}{label[1:]} ble ikke brukt: filen {relpath} kunne ikke leses "
            f"({first})."
        )
