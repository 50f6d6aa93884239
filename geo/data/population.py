r"""Residents per bydel, and how they are spread inside a bydel.

The only population figures in the reference data are totals per bydel. Inside a bydel we know
nothing more, so residents are spread **uniformly over the bydel polygon**: a square grid of
``cell_m`` metres is laid over the city, each cell is clipped to its bydel, and each piece gets

.. math::

    w_c = P_b \\cdot \\frac{A_c}{A_b}

residents, where :math:`P_b` is the bydel's population and :math:`A_c / A_b` the piece's share of
the bydel's polygon area. The demand point of a piece is a point inside it
(``representative_point``). The weights of a bydel sum exactly to its population.

Known bias, stated in every output that uses it: the PBE 2013 polygons include sea (Gamle Oslo,
Frogner, Nordstrand, Sentrum) and parks, so residents are put where nobody lives. When a mask of
inhabited land is given (``mask``: e.g. a walking network's reach or a land-use layer), pieces
outside it are dropped before the weights are computed; with a walking network the library uses
cells within ``max_street_m`` of a street. Marka (030117) has no polygon in the 2013 set; its
residents are reported as not allocated.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.data.datasets import find_dataset
from geo.names import BYDEL_CODES, normalise_bydel

__all__ = [
    "DISTRIBUTION_NOTE",
    "RESTRICT_NOTE",
    "demand_points",
    "load_population",
    "restrict_demand",
]


DISTRIBUTION_NOTE = (
    "Innbyggerne i hver bydel er fordelt jevnt over bydelens areal (rutenett på {cell:.0f} m); "
    "sjø og friområder innenfor bydelsgrensen får derfor også innbyggere."
)


def load_population(year: int | None = None, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load registered residents per bydel.

    Parameters
    ----------
    year
        Which ``population_<year>_01_01`` column to use; the newest when ``None``.
    data_dir
        Reference-data directory (resolved by :func:`geo.settings.data_dir` when ``None``).

    Returns
    -------
    pandas.DataFrame
        ``bydel_code``, ``bydel``, ``population`` (int), with ``attrs["population_year"]``.

    """
    path = find_dataset("population", data_dir)
    raw = pd.read_csv(path, dtype={"bydel_code": str})
    columns = {
        int(m.group(1)): col
        for col in raw.columns
        if (m := re.fullmatch(r"population_(\d{4})_01_01", str(col)))
    }
    if not columns:
        raise ValueError(f"{path}: ingen kolonne av typen population_<år>_01_01.")
    chosen = max(columns) if year is None else year
    if chosen not in columns:
        raise ValueError(f"{path}: ingen befolkningstall for {chosen} (har {sorted(columns)}).")
    codes = raw["bydel_code"].map(normalise_bydel)
    out = pd.DataFrame(
        {
            "bydel_code": codes,
            "bydel": codes.map(BYDEL_CODES),
            "population": pd.to_numeric(raw[columns[chosen]], errors="coerce"),
        }
    ).dropna(subset=["bydel_code", "population"])
    out["population"] = out["population"].astype(np.int64)
    out.attrs["population_year"] = chosen
    out.attrs["source_path"] = str(path)
    return out.reset_index(drop=True)


def demand_points(
    bydeler: gpd.GeoDataFrame,
    population: pd.DataFrame,
    cell_m: float = settings.DEFAULT_CELL_M,
    mask: gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    r"""Spread each bydel's residents over its area as weighted demand points.

    .. math::

        w_c = P_b \\cdot \\frac{A_c}{\\sum_{c' \\in b} A_{c'}}

    Parameters
    ----------
    bydeler
        Output of :func:`geo.boundaries.load_bydeler`.
    population
        Output of :func:`load_population`.
    cell_m
        Grid spacing in metres.
    mask
        Optional polygons of inhabited land; pieces outside are dropped first.

    Returns
    -------
    geopandas.GeoDataFrame
        ``demand_id``, ``bydel_code``, ``weight`` (residents), ``geometry`` (points, EPSG:25832).
        ``attrs["unallocated"]`` holds residents of bydeler without a polygon (e.g. Marka).

    """
    minx, miny, maxx, maxy = bydeler.total_bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m, maxx + cell_m, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m, maxy + cell_m, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    grid = gpd.GeoDataFrame(geometry=cells, crs=bydeler.crs)
    areas = bydeler[["bydel_code", "geometry"]]
    if mask is not None and len(mask):
        areas = gpd.overlay(
            areas, gpd.GeoDataFrame(geometry=mask.to_crs(bydeler.crs)), how="intersection"
        )
    pieces = gpd.overlay(grid, areas, how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 1.0].copy()
    pieces["area"] = pieces.geometry.area
    pop = population.set_index("bydel_code")["population"]
    area_sum = pieces.groupby("bydel_code")["area"].transform("sum")
    pieces["weight"] = (
        pieces["bydel_code"].map(pop).fillna(0).to_numpy() * pieces["area"] / area_sum
    )
    points = gpd.GeoDataFrame(
        {
            "demand_id": np.arange(len(pieces)),
            "bydel_code": pieces["bydel_code"].to_numpy(),
            "weight": pieces["weight"].to_numpy(dtype=float),
        },
        geometry=pieces.geometry.representative_point().to_numpy(),
        crs=bydeler.crs,
    )
    missing = sorted(set(pop.index) - set(points["bydel_code"]))
    points.attrs["unallocated"] = {c: int(pop[c]) for c in missing}
    points.attrs["note"] = DISTRIBUTION_NOTE.format(cell=cell_m)
    points.attrs["cell_m"] = cell_m
    return points.reset_index(drop=True)


RESTRICT_NOTE = (
    " {dropped} ruter lenger enn {snap:.0f} m fra gangnettet (sjø, skog, store parker) er tatt ut, "
    "og bydelens innbyggere er fordelt på de øvrige."
)


def restrict_demand(demand: gpd.GeoDataFrame, keep: np.ndarray, snap_m: float) -> gpd.GeoDataFrame:
    r"""Drop demand points (e.g. off the walking network) and re-spread each bydel's residents.

    With a walking network, cells that no path comes near are water, forest or large parks; moving
    their residents to the remaining cells of the same bydel is a better guess than keeping them:

    .. math::

        w'_i = w_i \cdot \frac{\sum_{j \in b} w_j}{\sum_{j \in b,\ kept} w_j}

    A bydel with no kept point keeps all its points (never loses its residents).
    """
    keep = np.asarray(keep, dtype=bool).copy()
    codes = demand["bydel_code"].to_numpy()
    for code in np.unique(codes):
        in_bydel = codes == code
        if not keep[in_bydel].any():
            keep[in_bydel] = True
    total = demand.groupby("bydel_code")["weight"].sum()
    out = demand[keep].copy()
    kept_total = out.groupby("bydel_code")["weight"].sum()
    scale = (total / kept_total).reindex(out["bydel_code"]).to_numpy()
    out["weight"] = out["weight"].to_numpy() * scale
    out = out.reset_index(drop=True)
    out["demand_id"] = np.arange(len(out))
    out.attrs = dict(demand.attrs)
    dropped = int((~keep).sum())
    if dropped:
        out.attrs["note"] = demand.attrs.get("note", "") + RESTRICT_NOTE.format(
            dropped=dropped, snap=snap_m
        )
    return out
