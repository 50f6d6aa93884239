"""Points and coordinate systems: one missing-CRS rule, one typed-point parser, lon/lat ↔ UTM.

Every coordinate a planner types or a file brings in is judged by the same rule,
:func:`classify_xy`: around Oslo, longitude/latitude, EUREF89 UTM 32 (EPSG:25832) and UTM 33
(EPSG:25833) have value ranges that cannot be confused, in either order. The rule decides

* which system a pair of coordinate columns is in (:mod:`geo.inputs.coordinates`),
* which system a vector file or frame without a CRS is in (:func:`guess_crs`, :func:`to_analysis_crs`),
* what a typed point means (:func:`parse_point_text`, used by the app and the CLI alike).
"""

from __future__ import annotations

import functools
import re

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geo import settings

__all__ = [
    "CRS_OF_SYSTEM",
    "classify_xy",
    "guess_crs",
    "lonlat_to_xy",
    "map_click_to_xy",
    "parse_point_text",
    "to_analysis_crs",
    "xy_of",
]

CRS_OF_SYSTEM = {
    "lonlat": settings.DISPLAY_CRS,
    "latlon": settings.DISPLAY_CRS,
    "25832": "EPSG:25832",
    "25832_swapped": "EPSG:25832",
    "25833": "EPSG:25833",
    "25833_swapped": "EPSG:25833",
}
"""The CRS of each answer of :func:`classify_xy` (``*_swapped``/``latlon``: columns in reverse)."""

_UTM32_EAST = (540_000.0, 660_000.0)
_UTM33_EAST = (200_000.0, 320_000.0)
_UTM_NORTH = (6_580_000.0, 6_720_000.0)


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values > bounds[0]) & (values < bounds[1])


def classify_xy(a: np.ndarray, b: np.ndarray) -> str | None:
    """Tell which coordinate system pairs ``(a, b)`` (as given: first, second value) are in.

    The ranges are Oslo's extent widened by one degree (lon/lat), or 540–660 km east (UTM 32),
    200–320 km east (UTM 33) and 6 580–6 720 km north; a system wins when at least half of the
    finite pairs fit it.

    Returns
    -------
    str or None
        ``"lonlat"``, ``"latlon"`` (swapped), ``"25832"``, ``"25832_swapped"``, ``"25833"``,
        ``"25833_swapped"``, or ``None`` when the values fit none of them.

    """
    a = np.atleast_1d(np.asarray(a, dtype=float))
    b = np.atleast_1d(np.asarray(b, dtype=float))
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return None
    a, b = a[ok], b[ok]
    lon0, lat0, lon1, lat1 = settings.OSLO_BBOX_4326
    lon_range, lat_range = (lon0 - 1, lon1 + 1), (lat0 - 1, lat1 + 1)
    tests = {
        "lonlat": (_within(a, lon_range) & _within(b, lat_range)).mean(),
        "latlon": (_within(b, lon_range) & _within(a, lat_range)).mean(),
        "25832": (_within(a, _UTM32_EAST) & _within(b, _UTM_NORTH)).mean(),
        "25833": (_within(a, _UTM33_EAST) & _within(b, _UTM_NORTH)).mean(),
        "25832_swapped": (_within(b, _UTM32_EAST) & _within(a, _UTM_NORTH)).mean(),
        "25833_swapped": (_within(b, _UTM33_EAST) & _within(a, _UTM_NORTH)).mean(),
    }
    best = max(tests, key=lambda k: float(tests[k]))
    return best if tests[best] >= 0.5 else None


def guess_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> str | None:
    """The CRS a frame without one is in, judged from its coordinates by :func:`classify_xy`.

    Only the non-swapped answers count (a geometry has x before y). ``None`` when the values fit
    no system around Oslo or there is nothing to judge.
    """
    geoms = frame.geometry.to_numpy() if hasattr(frame, "geometry") else np.asarray(frame)
    coords = shapely.get_coordinates(geoms)
    if not len(coords):
        return None
    system = classify_xy(coords[:, 0], coords[:, 1])
    return CRS_OF_SYSTEM[system] if system in ("lonlat", "25832", "25833") else None


def to_analysis_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:25832, whatever CRS the frame has.

    The one missing-CRS rule: a frame without a CRS is taken to be in the system its values fit
    (:func:`guess_crs`); an empty frame is taken to be in EPSG:25832. A 3-D geographic CRS
    (EPSG:4979, as the PBE boundary files declare) is read as EPSG:4326.

    Raises
    ------
    ValueError
        When the frame has no CRS and its values fit no system around Oslo.

    """
    gdf = frame.to_frame(name="geometry") if isinstance(frame, gpd.GeoSeries) else frame
    if not isinstance(gdf, gpd.GeoDataFrame):
        gdf = gpd.GeoDataFrame(gdf, geometry="geometry")
    if gdf.crs is None:
        crs = guess_crs(gdf) if len(gdf) else settings.ANALYSIS_CRS
        if crs is None and gdf.geometry.isna().all():
            crs = settings.ANALYSIS_CRS
        if crs is None:
            raise ValueError(
                "Koordinatsystem mangler, og verdiene passer verken WGS84 eller UTM 32/33 rundt Oslo."
            )
        gdf = gdf.set_crs(crs)
    elif gdf.crs.to_epsg() == 4979:
        gdf = gdf.set_crs(settings.DISPLAY_CRS, allow_override=True)
    return gdf if gdf.crs == settings.ANALYSIS_CRS else gdf.to_crs(settings.ANALYSIS_CRS)


def xy_of(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """Point coordinates ``(n, 2)`` in EPSG:25832 (an empty frame gives shape ``(0, 2)``)."""
    if not len(frame):
        return np.empty((0, 2))
    geoms = to_analysis_crs(frame).geometry
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]).astype(float)


@functools.lru_cache(maxsize=4)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def lonlat_to_xy(lon: float, lat: float, crs: str = settings.DISPLAY_CRS) -> tuple[float, float]:
    """A point in ``crs`` (lon/lat by default) as EPSG:25832 metres ``(x, y)``."""
    x, y = _transformer(crs, settings.ANALYSIS_CRS).transform(float(lon), float(lat))
    return float(x), float(y)


def map_click_to_xy(lat: float, lon: float) -> tuple[float, float]:
    """A clicked map point (WGS84 latitude, longitude) in EPSG:25832 metres ``(x, y)``."""
    return lonlat_to_xy(lon, lat)


_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_PAIR_EXAMPLES = (
    "Skriv f.eks. «59.9111, 10.7528» (bredde, lengde) eller «597700 6643300» (UTM 32 øst, nord)."
)


def _two_numbers(text: str) -> tuple[float, float] | None:
    numbers = _NUMBER.findall(text)
    if len(numbers) == 4 and "," in text:  # "59,9111, 10,7528": four parts, decimal commas
        numbers = [f"{numbers[0]}.{numbers[1]}", f"{numbers[2]}.{numbers[3]}"]
    if len(numbers) == 1 and re.fullmatch(r"[-+]?\d+,[-+]?\d+", numbers[0]):
        # "597700,6643300": one token with a comma is two whole numbers only if they make a pair
        a, b = (float(part) for part in numbers[0].split(","))
        return (a, b) if classify_xy(np.array([a]), np.array([b])) else None
    if len(numbers) != 2:
        return None
    a, b = (float(n.replace(",", ".")) for n in numbers)
    return a, b


def parse_point_text(text: str) -> tuple[float, float]:
    """Read one point typed by a planner (app or CLI) and return it in EPSG:25832.

    Accepts latitude/longitude (``59.9111, 10.7528``; decimal point or comma) and EUREF89 UTM 32
    or 33 east/north (``597700 6643300``, ``597700,6643300``), each in either order: which system
    and which order is decided by :func:`classify_xy`, as for coordinate columns in files.

    Raises
    ------
    ValueError
        With a bokmål message saying what was expected.

    """
    cleaned = str(text).strip()
    pair = _two_numbers(cleaned)
    if pair is None:
        raise ValueError(f"«{cleaned[:40]}» er ikke to tall. {_PAIR_EXAMPLES}")
    a, b = pair
    system = classify_xy(np.array([a]), np.array([b]))
    if system is None:
        raise ValueError(
            f"«{cleaned[:40]}» ligger ikke i nærheten av Oslo som bredde/lengde eller UTM 32/33."
        )
    first, second = (b, a) if system in ("latlon", "25832_swapped", "25833_swapped") else (a, b)
    if system in ("lonlat", "latlon"):
        return lonlat_to_xy(first, second)
    return lonlat_to_xy(first, second, CRS_OF_SYSTEM[system])
