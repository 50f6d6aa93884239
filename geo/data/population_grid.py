r"""SSB's population grids of 2015: reading the files, cell ids and cell centres.

Cell ids of the SSB grid have 14 digits: :math:`x + 2\,000\,000` as 7 digits followed by
:math:`y` as 7 digits, where :math:`(x, y)` is the cell's south-west corner in EPSG:25833
(UTM 33). :func:`cell_centres` returns the centres in the analysis CRS (EPSG:25832).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo import settings
from geo.errors import InputError, Problem
from geo.inputs.problems import unreadable_error

__all__ = [
    "GRID_CRS",
    "GRID_FILES",
    "GRID_YEAR",
    "cell_centres",
    "grid_bbox",
    "read_grid",
]

GRID_CRS = "EPSG:25833"
"""CRS of the SSB grid ids (UTM zone 33N)."""


GRID_YEAR = 2015
"""Year of both SSB grid files."""


GRID_FILES: dict[str, tuple[str, int]] = {
    "100m": ("population_grid_100m", 100),
    "250m": ("population_grid_250m", 250),
}
"""Dataset key (:data:`geo.data.datasets.DATASETS`) and cell size in metres of each grid."""


_ID_DIGITS = 14
"""Digits of a cell id."""

_ID_SPLIT = 10_000_000
"""A cell id is ``x_part * _ID_SPLIT + y``."""

_X_OFFSET = 2_000_000
"""Added to the easting so that it always has 7 digits."""

_MAX_LISTED = 20
"""At most this many row problems are listed; the rest are counted in one summary problem."""


_BBOX_MARGIN_M = 1_000.0
"""Margin of the pre-filter box around Oslo."""

_TO_ANALYSIS = pyproj.Transformer.from_crs(GRID_CRS, settings.ANALYSIS_CRS, always_xy=True)


_TO_GRID = pyproj.Transformer.from_crs(settings.ANALYSIS_CRS, GRID_CRS, always_xy=True)


def read_grid(
    path: str | Path,
    cell_m: int | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    r"""Read an SSB population grid file and decode its cell ids.

    The header names the cell size (``rute_100m sum``: space-separated; ``ru250m;pop_tot``:
    ``;``-separated; gzip is detected from the content). Ids are decoded with integer arithmetic:

    .. math::

        x = \lfloor id / 10^7 \rfloor - 2\,000\,000, \qquad y = id \bmod 10^7 .

    Parameters
    ----------
    path
        The grid file.
    cell_m
        Expected cell size in metres; taken from the header when ``None``.
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:25833: keep only cells that overlap it (applied
        after every row was checked, before any geometry work).

    Returns
    -------
    pandas.DataFrame
        ``cell_id`` (int64), ``x``, ``y`` (south-west corner, EPSG:25833, int64), ``count``
        (int64, > 0; cells with 0 are left out). ``attrs``: ``cell_m``, ``n_cells_file``,
        ``residents_file``, ``source_path``.

    Raises
    ------
    geo.io.InputError
        Wrong header, a non-numeric or wrongly sized id, a corner not on the grid, a count that
        is not a whole number ≥ 0, or an id listed twice; each problem names file and line.

    """
    path = Path(path)
    name = str(path)
    compression, header = _grid_header(path)
    sep, size = _grid_format(header, name)
    if cell_m is not None and int(cell_m) != size:
        raise InputError(
            Problem(name, 1, None, f"Overskriften sier {size} m-ruter, men {cell_m} m ble bedt om.")
        )
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            compression=compression,
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        row = int(match.group(1)) if match else None
        raise InputError(Problem(name, row, None, "Raden har feil antall felt.")) from exc
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise unreadable_error(path, exc) from exc
    frame = _decode_cells(raw, size, name)
    frame.attrs.update(
        cell_m=size,
        n_cells_file=len(frame),
        residents_file=int(frame["count"].sum()),
        source_path=name,
    )
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
        keep = (x + size >= minx) & (x <= maxx) & (y + size >= miny) & (y <= maxy)
        attrs = dict(frame.attrs)
        frame = frame[keep].reset_index(drop=True)
        frame.attrs.update(attrs)
    return frame


def _grid_header(path: Path) -> tuple[Literal["gzip"] | None, str]:
    """Return the compression (``"gzip"`` or ``None``) and the header line of a grid file."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(2)
        compression: Literal["gzip"] | None = "gzip" if magic == b"\x1f\x8b" else None
        opener = gzip.open if compression else open
        with opener(path, "rt", encoding="utf-8-sig") as text:
            header = text.readline().strip()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise unreadable_error(path, exc) from exc
    return compression, header


def _grid_format(header: str, name: str) -> tuple[str, int]:
    """Return the separator and the cell size named by the header."""
    sep = next((c for c in (";", ",", "\t") if c in header), " ")
    fields = (
        [f.strip() for f in header.split(sep) if f.strip()] if sep == " " else header.split(sep)
    )
    match = re.fullmatch(r"ru(?:te)?_?(\d+)m", fields[0].strip().lower()) if fields else None
    if not match or len(fields) != 2 or fields[1].strip().lower() not in {"sum", "pop_tot"}:
        raise InputError(
            Problem(
                name,
                1,
                None,
                f"Ukjent overskrift «{header[:80]}». "
                "Ventet «rute_100m sum» eller «ru250m;pop_tot».",
            )
        )
    return sep, int(match.group(1))


def _decode_cells(raw: pd.DataFrame, size: int, name: str) -> pd.DataFrame:
    id_col, count_col = str(raw.columns[0]), str(raw.columns[1])
    ids = raw[id_col].fillna("").astype(str).str.strip()
    counts = raw[count_col].fillna("").astype(str).str.strip()
    blank = ((ids == "") & (counts == "")).to_numpy()
    ids, counts = ids[~blank], counts[~blank]
    lines = np.flatnonzero(~blank) + 2
    problems = _cell_problems(ids, counts, lines, (id_col, count_col), name)
    if problems:
        raise InputError(_capped(problems, name))
    cell_id = ids.to_numpy(dtype=str).astype(np.int64)
    x = cell_id // _ID_SPLIT - _X_OFFSET
    y = cell_id % _ID_SPLIT
    off_grid = (x % size != 0) | (y % size != 0)
    if off_grid.any():
        problems = [
            Problem(name, int(line), id_col, f"Ruten {cid} har ikke hjørne i et {size} m-rutenett.")
            for line, cid in zip(lines[off_grid], cell_id[off_grid], strict=True)
        ]
        raise InputError(_capped(problems, name))
    _check_unique(cell_id, lines, id_col, name)
    count = counts.to_numpy(dtype=str).astype(np.int64)
    keep = count > 0
    return pd.DataFrame(
        {"cell_id": cell_id[keep], "x": x[keep], "y": y[keep], "count": count[keep]}
    )


def _cell_problems(
    ids: pd.Series, counts: pd.Series, lines: np.ndarray, columns: tuple[str, str], name: str
) -> list[Problem]:
    problems: list[Problem] = []
    digits = ids.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    length_ok = (ids.str.len() == _ID_DIGITS).to_numpy(dtype=bool)
    count_ok = counts.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    id_values = ids.to_numpy(dtype=str)
    count_values = counts.to_numpy(dtype=str)
    for i in np.flatnonzero(~digits | ~length_ok | ~count_ok):
        if not digits[i]:
            message = f"Rute-ID «{id_values[i]}» er ikke et tall."
            problems.append(Problem(name, int(lines[i]), columns[0], message))
        elif not length_ok[i]:
            message = f"Rute-ID «{id_values[i]}» har {len(id_values[i])} siffer, ikke {_ID_DIGITS}."
            problems.append(Problem(name, int(lines[i]), columns[0], message))
        if not count_ok[i]:
            message = f"Antallet «{count_values[i]}» er ikke et helt tall ≥ 0."
            problems.append(Problem(name, int(lines[i]), columns[1], message))
    return problems


def _check_unique(cell_id: np.ndarray, lines: np.ndarray, column: str, name: str) -> None:
    dup = pd.Series(cell_id).duplicated(keep="first").to_numpy()
    if dup.any():
        problems = [
            Problem(name, int(line), column, f"Ruten {cid} står mer enn én gang.")
            for line, cid in zip(lines[dup], cell_id[dup], strict=True)
        ]
        raise InputError(_capped(problems, name))


def _capped(problems: list[Problem], name: str) -> list[Problem]:
    if len(problems) <= _MAX_LISTED:
        return problems
    rest = len(problems) - _MAX_LISTED
    return [*problems[:_MAX_LISTED], Problem(name, None, None, f"… og {rest} feil til.")]


def cell_centres(cell_id: Sequence[int] | np.ndarray, cell_m: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the centres of SSB grid cells in EPSG:25832.

    .. math::

        (x_c, y_c) = T_{25833 \to 25832}\left(x + \tfrac{s}{2},\ y + \tfrac{s}{2}\right)

    Parameters
    ----------
    cell_id
        14-digit SSB cell ids.
    cell_m
        Cell size :math:`s` in metres.

    Returns
    -------
    tuple of numpy.ndarray
        Easting and northing of the centres in EPSG:25832.

    """
    ids = np.asarray(cell_id, dtype=np.int64)
    x = (ids // _ID_SPLIT - _X_OFFSET).astype(float) + cell_m / 2.0
    y = (ids % _ID_SPLIT).astype(float) + cell_m / 2.0
    east, north = _TO_ANALYSIS.transform(x, y)
    return np.asarray(east, dtype=float), np.asarray(north, dtype=float)


def grid_bbox(
    bydeler: gpd.GeoDataFrame, delbydeler: gpd.GeoDataFrame
) -> tuple[float, float, float, float]:
    """Box in EPSG:25833 around Oslo kommune (incl. Marka) and both layers: the grid pre-filter."""
    boxes = np.array([settings.OSLO_BBOX_25832, bydeler.total_bounds, delbydeler.total_bounds])
    box = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
    minx, miny, maxx, maxy = _TO_GRID.transform_bounds(*box)
    m = _BBOX_MARGIN_M
    return (minx - m, miny - m, maxx + m, maxy + m)
