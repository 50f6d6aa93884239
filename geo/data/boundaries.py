"""Bydel and delbydel boundaries as versioned data.

A boundary set is identified by a version string (``"pbe2013"`` for the set in use now). A reform
of the bydeler is proposed for 2028; a second set can be registered with
:func:`register_boundary_file` and loaded beside the first, and every output names the version it
was made with (``gdf.attrs["boundary_version"]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.data.datasets import DATASETS, find_dataset
from geo.errors import DatasetMissingError
from geo.geom import to_analysis_crs
from geo.names import BYDEL_CODES, normalise_bydel

__all__ = [
    "BOUNDARY_VERSIONS",
    "DEFAULT_VERSION",
    "BoundaryVersion",
    "assign_bydel",
    "assign_code",
    "assign_zone",
    "load_bydeler",
    "load_delbydeler",
    "register_boundary_file",
    "zone_codes_at",
]


@dataclass(frozen=True)
class BoundaryVersion:
    """Where one version of the bydel boundaries comes from."""

    version: str
    label: str
    bydel_source: str
    """Dataset key in :data:`geo.datasets.DATASETS`, or a file path."""
    delbydel_source: str | None
    name_field: str


BOUNDARY_VERSIONS: dict[str, BoundaryVersion] = {
    "pbe2013": BoundaryVersion(
        version="pbe2013",
        label="Bydelsgrenser 2013 (PBE, 15 bydeler + Sentrum)",
        bydel_source="bydeler_pbe2013",
        delbydel_source="delbydeler",
        name_field="bnavn",
    )
}


DEFAULT_VERSION = "pbe2013"


def register_boundary_file(
    version: str, path: str | Path, name_field: str, label: str | None = None
) -> BoundaryVersion:
    """Register another bydel boundary set (e.g. a proposed 2028 division) under ``version``.

    Parameters
    ----------
    version
        Short identifier shown in outputs.
    path
        Any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile).
    name_field
        Attribute that holds the bydel name or code.
    label
        Human-readable description.

    """
    bv = BoundaryVersion(version, label or version, str(path), None, name_field)
    BOUNDARY_VERSIONS[version] = bv
    return bv


def _read(source: str, data_dir: str | Path | None) -> gpd.GeoDataFrame:
    path = find_dataset(source, data_dir) if source in DATASETS else Path(source)
    gdf = gpd.read_file(path)
    # the PBE files declare 3-D WGS84 with z = 0 (EPSG:4979); to_analysis_crs reads that as 4326
    gdf = to_analysis_crs(gdf)
    gdf["geometry"] = shapely.force_2d(gdf.geometry.values)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    gdf.attrs["source_path"] = str(path)
    return gdf


def load_bydeler(
    version: str = DEFAULT_VERSION, data_dir: str | Path | None = None
) -> gpd.GeoDataFrame:
    """Load the bydel polygons of boundary set ``version``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``bydel_code`` (6-digit official code), ``bydel`` (official name), ``area_km2``,
        ``geometry`` (EPSG:25832), sorted by code. ``attrs`` hold ``boundary_version`` and
        ``source_path``.

    Raises
    ------
    geo.datasets.DatasetMissingError
        When the file is not in the data directory.
    ValueError
        When a feature's name cannot be matched to an official bydel.

    """
    bv = BOUNDARY_VERSIONS[version]
    raw = _read(bv.bydel_source, data_dir)
    if bv.name_field not in raw.columns:
        raise ValueError(
            f"{raw.attrs['source_path']}: feltet «{bv.name_field}» finnes ikke "
            f"(felter: {', '.join(map(str, raw.columns))})."
        )
    codes = raw[bv.name_field].map(normalise_bydel)
    if codes.isna().any():
        bad = raw.loc[codes.isna(), bv.name_field].tolist()
        raise ValueError(f"{raw.attrs['source_path']}: ukjente bydelsnavn {bad}.")
    out = gpd.GeoDataFrame(
        {
            "bydel_code": codes.to_numpy(),
            "bydel": [BYDEL_CODES[c] for c in codes],
        },
        geometry=raw.geometry.values,
        crs=settings.ANALYSIS_CRS,
    )
    # Several features of one bydel (islands) become one multipolygon.
    out = out.dissolve(by=["bydel_code", "bydel"], as_index=False).sort_values("bydel_code")
    out["area_km2"] = out.geometry.area / 1e6
    out = out[["bydel_code", "bydel", "area_km2", "geometry"]].reset_index(drop=True)
    out.attrs.update(boundary_version=version, label=bv.label, source_path=raw.attrs["source_path"])
    return out


def load_delbydeler(
    version: str = DEFAULT_VERSION, data_dir: str | Path | None = None
) -> gpd.GeoDataFrame:
    """Load the delbydel polygons that go with boundary set ``version``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``delbydel_code`` (4-digit code as published, e.g. ``0102``), ``delbydel`` (name),
        ``bydel_code``, ``bydel``, ``geometry`` (EPSG:25832).

    """
    bv = BOUNDARY_VERSIONS[version]
    if bv.delbydel_source is None:
        raise DatasetMissingError(f"Grensesettet «{version}» har ingen delbydeler.")
    raw = _read(bv.delbydel_source, data_dir)
    code = raw["DELBYDEL"].astype(str).str.zfill(4)
    bydel_code = "0301" + code.str[:2]
    out = gpd.GeoDataFrame(
        {
            "delbydel_code": code.to_numpy(),
            "delbydel": raw["DELBYDELSN"].astype(str).str.strip().to_numpy(),
            "bydel_code": bydel_code.to_numpy(),
            "bydel": bydel_code.map(BYDEL_CODES).to_numpy(),
        },
        geometry=raw.geometry.values,
        crs=settings.ANALYSIS_CRS,
    ).sort_values("delbydel_code")
    out = out.reset_index(drop=True)
    out.attrs.update(boundary_version=version, source_path=raw.attrs["source_path"])
    return out


def assign_bydel(points: gpd.GeoSeries | gpd.GeoDataFrame, bydeler: gpd.GeoDataFrame) -> pd.Series:
    """Return the bydel code each point lies in (``None`` outside every bydel polygon).

    Points on a shared boundary go to the bydel with the lower code, so each point is counted once.
    """
    return assign_code(points, bydeler, "bydel_code")


def assign_zone(points: gpd.GeoSeries | gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """Return the zone code (``zone_code`` of ``zones``) each point lies in, as :func:`assign_bydel`."""
    return assign_code(points, zones, "zone_code")


def assign_code(
    points: gpd.GeoSeries | gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, column: str
) -> pd.Series:
    """The ``column`` value of the polygon each point lies in; the lower code on a shared edge."""
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geoms = geoms.to_crs(polygons.crs) if geoms.crs != polygons.crs else geoms
    result = np.full(len(geoms), None, dtype=object)
    valid = ~(geoms.is_empty | geoms.isna()).to_numpy()
    if valid.any():
        result[np.flatnonzero(valid)] = _codes_at(geoms.values[valid], polygons, column)
    return pd.Series(result, index=geoms.index, name=column, dtype=object)


def zone_codes_at(xy: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """:func:`assign_zone` for coordinates in the zones' CRS: the what-if's new sites, fast."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return _codes_at(shapely.points(xy), zones, "zone_code")


def _codes_at(geoms: Any, polygons: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """Code of the polygon each (valid) geometry intersects, ``None`` outside all."""
    result = np.full(len(geoms), None, dtype=object)
    idx_pt, idx_poly = polygons.sindex.query(geoms, predicate="intersects")
    codes = polygons[column].astype(str).to_numpy()
    # Sorting by code descending then assigning keeps the lowest code on ties.
    order = np.argsort(codes[idx_poly])[::-1]
    result[idx_pt[order]] = codes[idx_poly[order]]
    return result
