"""Numbers and coordinate columns in planners' tables: which columns, which system, which rows fail."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import Problem, Severity
from geo.geom import classify_xy
from geo.inputs.problems import row_number
from geo.labels import short_text

__all__ = [
    "KEPT_UNLOCATED",
    "find_column",
    "flag_outside_oslo",
    "parse_number",
    "points_from_columns",
]


_LAT = {"lat", "latitude", "breddegrad", "bredde", "y_lat", "lat_wgs84", "wgs84_lat"}


_LON = {
    "lon",
    "lng",
    "long",
    "longitude",
    "lengdegrad",
    "lengde",
    "x_lon",
    "lon_wgs84",
    "wgs84_lon",
}


_EAST = {
    "x",
    "easting",
    "east",
    "ost",
    "øst",
    "e",
    "utm_x",
    "x_utm",
    "ost_utm",
    "øst_utm",
    "koordinat_x",
}


_NORTH = {"y", "northing", "north", "nord", "n", "utm_y", "y_utm", "nord_utm", "koordinat_y"}


_WKT = {"wkt", "geometry", "geometri", "geom"}


def parse_number(text: object) -> float:
    """Parse a number written the Norwegian or English way.

    Handles decimal commas (``59,9127``), spaces or non-breaking spaces as thousands separators
    (``597 000``), dot or comma thousands separators (``1.234,5``, ``1,234.5``, ``1.234.567``),
    the minus sign ``−`` and a trailing unit-less ``.``. A single comma is a decimal comma
    (``1,234`` is 1.234). Returns ``nan`` for an empty cell and raises
    ``ValueError`` for text that is not a number.
    """
    if text is None:
        return math.nan
    if isinstance(text, (int, float, np.number)):
        return float(text)
    s = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if s == "":
        return math.nan
    s = s.replace("−", "-")
    if "," in s and "." in s:
        # "1.234,5" (Norwegian thousands dot) or "1,234.5" (English thousands comma).
        s = (
            s.replace(".", "").replace(",", ".")
            if s.rfind(",") > s.rfind(".")
            else s.replace(",", "")
        )
    elif s.count(",") == 1:
        s = s.replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}([.,])\d{3}(\1\d{3})+", s):
        # "1.234.567" or "1,234,567": repeated thousands separators, no decimals.
        s = s.replace(".", "").replace(",", "")
    value = float(s)  # raises ValueError for text
    return value


def find_column(columns: Iterable[str], names: set[str]) -> str | None:
    """The first column whose normalised name is one of ``names`` (``None`` if none)."""
    for column in columns:
        key = re.sub(r"[\s\-]+", "_", str(column).strip().lower())
        if key in names:
            return str(column)
    return None


KEPT_UNLOCATED = "raden er beholdt uten plassering og teller ikke i avstandene"
"""What happens to a row with an unusable coordinate when the caller keeps such rows."""


def _row_fate(keep_unlocated: bool) -> tuple[str, Severity]:
    """The end of a coordinate message, and its severity, by whether the row is kept."""
    return (KEPT_UNLOCATED, "advarsel") if keep_unlocated else ("raden er hoppet over", "feil")


def _numeric_column(
    frame: pd.DataFrame, column: str, file: str, problems: list[Problem], keep_unlocated: bool
) -> np.ndarray:
    fate, severity = _row_fate(keep_unlocated)
    values = np.full(len(frame), np.nan)
    for pos, (row, raw) in enumerate(frame[column].items()):
        try:
            value = parse_number(raw)
        except ValueError:
            message = f"«{short_text(raw)}» er ikke et tall; {fate}."
            problems.append(Problem(file, row_number(row), column, message, severity))
            continue
        if math.isnan(value) and str(raw).strip().lower() in {"nan", "inf", "-inf", "infinity"}:
            message = f"Verdien er NaN/uendelig; {fate}."
            problems.append(Problem(file, row_number(row), column, message, severity))
            continue
        if math.isinf(value):
            message = f"Verdien er uendelig; {fate}."
            problems.append(Problem(file, row_number(row), column, message, severity))
            continue
        values[pos] = value
    return values


def points_from_columns(
    frame: pd.DataFrame, file: str, require: bool = True, keep_unlocated: bool = False
) -> tuple[gpd.GeoDataFrame | None, list[Problem], str]:
    """Find coordinate columns in ``frame`` and build points in EPSG:25832.

    Rows with missing, non-numeric or out-of-Oslo coordinates are reported; their geometry is
    empty. ``require``: a file without coordinate columns is a problem. ``keep_unlocated``: the
    caller keeps rows whose coordinate cannot be read (a service registry does; the message says
    so as a warning), otherwise such rows are reported as skipped. Points outside Oslo are always
    skipped. Returns ``(points or None, problems, system)``.
    """
    problems: list[Problem] = []
    cols = list(frame.columns)
    wkt_col = find_column(cols, _WKT)
    lat_col, lon_col = find_column(cols, _LAT), find_column(cols, _LON)
    east_col, north_col = find_column(cols, _EAST), find_column(cols, _NORTH)
    if lat_col and lon_col:
        first, second, named = lon_col, lat_col, "lonlat"
    elif east_col and north_col:
        first, second, named = east_col, north_col, "xy"
    elif wkt_col:
        return _points_from_wkt(frame, wkt_col, file, keep_unlocated)
    else:
        if require:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    "Fant ingen koordinatkolonner. Bruk «lat»/«lon» (WGS84) eller «x»/«y» / "
                    "«øst»/«nord» (EUREF89 UTM 32 eller 33), eller en WKT-kolonne «geometry». "
                    f"Kolonner i filen: {', '.join(short_text(c) for c in cols[:20])}"
                    + (f" … (+{len(cols) - 20})" if len(cols) > 20 else "")
                    + ".",
                )
            )
        return None, problems, "ingen"
    a = _numeric_column(frame, first, file, problems, keep_unlocated)
    b = _numeric_column(frame, second, file, problems, keep_unlocated)
    system = classify_xy(a, b)
    if system is None:
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Klarte ikke å avgjøre koordinatsystemet: verdiene passer verken lengde-/breddegrad "
                "eller UTM 32/33 rundt Oslo. Sjekk kolonnene og enhetene.",
            )
        )
        return None, problems, "ingen"
    if system == "latlon":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Lengde- og breddegrad ser ut til å være byttet om; de er byttet tilbake.",
                "advarsel",
            )
        )
        a, b = b, a
        system = "lonlat"
    if system == "25832_swapped":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Øst- og nordkoordinat ser ut til å være byttet om; de er byttet tilbake.",
                "advarsel",
            )
        )
        a, b = b, a
        system = "25832"
    if named == "lonlat" and system != "lonlat":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                f"Kolonnene heter lat/lon, men verdiene er UTM-koordinater (EPSG:{system}); lest som det.",
                "advarsel",
            )
        )
    if named == "xy" and system == "lonlat":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Kolonnene heter x/y, men verdiene er lengde-/breddegrad; lest som WGS84.",
                "advarsel",
            )
        )
    crs = {"lonlat": settings.DISPLAY_CRS, "25832": "EPSG:25832", "25833": "EPSG:25833"}[system]
    geoms = gpd.GeoSeries.from_xy(a, b, crs=crs, index=frame.index)
    missing = ~(np.isfinite(a) & np.isfinite(b))
    geoms[missing] = None
    geoms = geoms.to_crs(settings.ANALYSIS_CRS)
    points = gpd.GeoDataFrame(frame.copy(), geometry=geoms, crs=settings.ANALYSIS_CRS)
    points = flag_outside_oslo(points, file, problems, f"{first}/{second}")
    label = {"lonlat": "EPSG:4326"}.get(system, f"EPSG:{system}")
    return points, problems, label


def _points_from_wkt(
    frame: pd.DataFrame, column: str, file: str, keep_unlocated: bool
) -> tuple[gpd.GeoDataFrame | None, list[Problem], str]:
    fate, severity = _row_fate(keep_unlocated)
    problems: list[Problem] = []
    geoms: list[object] = []
    for row, raw in frame[column].items():
        text = str(raw).strip()
        if not text:
            geoms.append(None)
            continue
        try:
            geom = shapely.from_wkt(text)
        except Exception:  # shapely raises GEOSException / ValueError
            problems.append(
                Problem(file, row_number(row), column, f"Ugyldig WKT-geometri; {fate}.", severity)
            )
            geom = None
        geoms.append(geom)
    gs = gpd.GeoSeries(geoms, index=frame.index)
    valid = gs.dropna()
    if valid.empty:
        problems.append(Problem(file, None, column, "Ingen gyldige geometrier."))
        return None, problems, "ingen"
    x, y = valid.centroid.x.to_numpy(), valid.centroid.y.to_numpy()
    system = classify_xy(x, y)
    crs = {"lonlat": settings.DISPLAY_CRS, "25833": "EPSG:25833"}.get(
        system or "", settings.ANALYSIS_CRS
    )
    gs = gs.set_crs(crs).to_crs(settings.ANALYSIS_CRS)
    points = gpd.GeoDataFrame(frame.drop(columns=[column]), geometry=gs, crs=settings.ANALYSIS_CRS)
    points = flag_outside_oslo(points, file, problems, column)
    return points, problems, "geometri"


def flag_outside_oslo(
    points: gpd.GeoDataFrame, file: str, problems: list[Problem], column: str
) -> gpd.GeoDataFrame:
    """Report and blank the points that lie outside Oslo (``attrs['outside_rows']`` lists them)."""
    minx, miny, maxx, maxy = settings.OSLO_BBOX_25832
    geoms = points.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    cx = np.where(present, geoms.centroid.x if present.any() else np.nan, np.nan)
    cy = np.where(present, geoms.centroid.y if present.any() else np.nan, np.nan)
    outside = present & ~((cx >= minx) & (cx <= maxx) & (cy >= miny) & (cy <= maxy))
    for row in points.index[outside.to_numpy()]:
        problems.append(
            Problem(
                file,
                row_number(row),
                column,
                "Punktet ligger utenfor Oslo; raden er hoppet over. Sjekk koordinatene.",
            )
        )
    points = points.copy()
    points.loc[outside.to_numpy(), "geometry"] = None
    points.attrs["outside_rows"] = [int(r) for r in points.index[outside.to_numpy()]]
    return points
