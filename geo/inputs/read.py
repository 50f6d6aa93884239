"""Read and validate planners' own files: CSV, XLSX, GeoJSON, GeoPackage and zipped Shapefile.

Every problem is reported as a :class:`Problem` naming the file, the row (as a person sees it: the
line in the CSV, the row in the spreadsheet, the feature number in a vector file), the column and
what is wrong and what to do. Good rows are kept. Nothing here runs or unpickles what it reads.

Coordinates may come as

* longitude/latitude columns (WGS84, EPSG:4326) — names such as ``lat``/``lon``,
  ``breddegrad``/``lengdegrad``; swapped columns are detected from Oslo's extent;
* easting/northing columns in EPSG:25832 (UTM 32) or EPSG:25833 (UTM 33) — names such as
  ``x``/``y``, ``øst``/``nord``, ``easting``/``northing``; the zone is told apart by the easting
  (Oslo lies near 600 000 m in zone 32 and near 260 000 m in zone 33);
* a WKT ``geometry`` column, or the geometry of a vector file.

Everything is returned in EPSG:25832.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.errors import InputError, Problem
from geo.inputs.coordinates import find_column, parse_number, points_from_columns
from geo.inputs.problems import LoadResult, row_number
from geo.inputs.tables import read_csv_bytes, read_xlsx_bytes
from geo.inputs.vectors import finish_vector, read_vector_bytes
from geo.labels import short_text
from geo.names import normalise_bydel, suggest_bydel

__all__ = [
    "file_bytes",
    "numeric_columns",
    "read_any",
    "read_bytes",
]


_BYDEL_COLS = {
    "bydel",
    "bydel_code",
    "bydelskode",
    "bydelsnr",
    "bydelsnummer",
    "bydelsnavn",
    "hjemmebydel",
    "bydel_navn",
    "bydelnr",
    "bydelkode",
}


def read_bytes(
    data: bytes, file: str, sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read any supported file from bytes into a raw frame (strings; geometry if vector)."""
    suffix = Path(file).suffix.lower()
    if not data:
        raise InputError(Problem(file, None, None, "Filen er tom."))
    if suffix in {".csv", ".txt", ".tsv"}:
        return read_csv_bytes(data, file)
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx_bytes(data, file, sheet)
    if suffix == ".xls":
        raise InputError(
            Problem(
                file, None, None, "Det gamle .xls-formatet støttes ikke. Lagre som .xlsx eller CSV."
            )
        )
    if suffix in {".geojson", ".json", ".gpkg", ".zip"}:
        return read_vector_bytes(data, file)
    if suffix == ".shp":
        raise InputError(
            Problem(
                file,
                None,
                None,
                "En Shapefile består av flere filer: last opp en zip med .shp, .shx, .dbf og .prj.",
            )
        )
    raise InputError(
        Problem(
            file,
            None,
            None,
            f"Ukjent filtype «{suffix or '(ingen)'}». Bruk CSV, XLSX, GeoJSON, GeoPackage eller zippet Shapefile.",
        )
    )


def read_any(
    source: str | os.PathLike[str] | bytes,
    name: str | None = None,
    sheet: str | None = None,
    require_points: bool = False,
) -> LoadResult:
    """Read a planner's file and work out what it holds.

    Parameters
    ----------
    source
        A path, or the file's bytes (from an upload; then ``name`` gives the file name).
    name
        File name used in messages and to choose the reader.
    sheet
        Sheet name for XLSX.
    require_points
        When True, a file without usable locations is an error.

    Returns
    -------
    LoadResult
        ``kind`` is ``"points"`` (GeoDataFrame of points, EPSG:25832), ``"polygons"``,
        ``"aggregate"`` (a ``bydel_code`` column plus numeric columns) or ``"table"``.

    Raises
    ------
    InputError
        When the file cannot be used at all.

    """
    data, file = file_bytes(source, name)
    raw, problems = read_bytes(data, file, sheet)
    n_rows = len(raw)
    if n_rows == 0:
        raise InputError(
            [*problems, Problem(file, None, None, "Filen har overskrifter, men ingen datarader.")]
        )
    if isinstance(raw, gpd.GeoDataFrame):
        return finish_vector(raw, file, problems, require_points)
    points, coord_problems, system = points_from_columns(raw, file, require=require_points)
    if points is not None:
        return _located_rows(points, file, problems + coord_problems, system, n_rows)
    bydel_col = find_column(raw.columns, _BYDEL_COLS)
    if bydel_col is not None:
        frame, agg_problems = _aggregate_by_bydel(raw, bydel_col, file)
        return LoadResult(frame, problems + agg_problems, "aggregate", "ingen", n_rows)
    if require_points:
        raise InputError(problems + coord_problems)
    return LoadResult(raw, problems + coord_problems, "table", "ingen", n_rows)


def file_bytes(source: str | os.PathLike[str] | bytes, name: str | None) -> tuple[bytes, str]:
    """The bytes of a path or an upload, and the file name for messages.

    A path larger than four times the upload cap is refused before it is read.
    """
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "opplastet fil"
    path = Path(source)
    file = name or path.name
    if not path.exists():
        raise InputError(Problem(file, None, None, f"Fant ikke filen {path}."))
    size = path.stat().st_size
    if size > settings.max_upload_mb() * 1024 * 1024 * 4:
        raise InputError(Problem(file, None, None, f"Filen er for stor ({size / 1e6:.0f} MB)."))
    return path.read_bytes(), file


def _located_rows(
    points: gpd.GeoDataFrame, file: str, problems: list[Problem], system: str, n_rows: int
) -> LoadResult:
    """Keep the rows with a location; every other row is said to be skipped (once)."""
    good = points[~(points.geometry.isna() | points.geometry.is_empty)]
    for row in sorted(set(points.index) - set(good.index)):
        if not any(p.row == row and p.severity == "feil" for p in problems):
            problems.append(
                Problem(file, row_number(row), None, "Mangler koordinater; raden er hoppet over.")
            )
    return LoadResult(good, problems, "points", system, n_rows)


def _aggregate_by_bydel(
    raw: pd.DataFrame, bydel_col: str, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse a table of values per bydel: normalise bydel names, parse numbers (decimal comma).

    A column counts as numeric when at most half of its filled cells fail to parse. A cell that
    is not a number, or a negative count, is an error and left empty: it is never used as a weight.
    """
    problems: list[Problem] = []
    codes = []
    for row, value in raw[bydel_col].items():
        code = normalise_bydel(value)
        if code is None:
            hint = suggest_bydel(value)
            extra = f" Mente du {' eller '.join(hint)}?" if hint else ""
            problems.append(
                Problem(
                    file,
                    row_number(row),
                    bydel_col,
                    f"Ukjent bydel «{short_text(value)}»; raden er hoppet over.{extra}",
                )
            )
        codes.append(code)
    out = pd.DataFrame({"bydel_code": codes}, index=raw.index)
    for column in raw.columns:
        if column != bydel_col:
            out[column] = _numbers_or_text(raw[column], file, problems)
    out = out[out["bydel_code"].notna()]
    duplicated = out["bydel_code"].duplicated(keep=False)
    if duplicated.any():
        rows = ", ".join(str(r) for r in out.index[duplicated.to_numpy()])
        problems.append(
            Problem(
                file,
                None,
                bydel_col,
                f"Samme bydel står på flere rader ({rows}); verdiene er summert.",
                "advarsel",
            )
        )
        numeric = [
            c for c in out.columns if c != "bydel_code" and pd.api.types.is_numeric_dtype(out[c])
        ]
        out = out.groupby("bydel_code", as_index=False)[numeric].sum(min_count=1)
    return out, problems


def _numbers_or_text(values: pd.Series, file: str, problems: list[Problem]) -> pd.Series:
    """A column as numbers when it is mostly numbers (bad and negative cells empty), else as is."""
    parsed = []
    for raw_value in values:
        try:
            parsed.append(parse_number(raw_value))
        except ValueError:
            parsed.append(math.nan)
    numbers = pd.Series(parsed, index=values.index, dtype=float)
    filled = values.astype(str).str.strip() != ""
    bad = filled & numbers.isna()
    if not filled.any() or bad.sum() > filled.sum() / 2:
        return values
    column = str(values.name)
    for row in values.index[bad.to_numpy()]:
        problems.append(
            Problem(
                file,
                row_number(row),
                column,
                f"«{short_text(values[row])}» er ikke et tall; cellen er tom i resultatet.",
            )
        )
    for row in values.index[(numbers < 0).to_numpy()]:
        problems.append(
            Problem(
                file,
                row_number(row),
                column,
                f"Negativt antall ({short_text(values[row])}); cellen er tom i resultatet og "
                "brukes ikke som vekt.",
            )
        )
    return numbers.where(~(numbers < 0))


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of a loaded user-data frame that hold numbers (candidates for weights)."""
    return [
        str(c)
        for c in frame.columns
        if c not in ("geometry", "bydel_code") and pd.api.types.is_numeric_dtype(frame[c])
    ]
