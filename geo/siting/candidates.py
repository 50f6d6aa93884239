"""Candidate sites: grids, street-node samples, files; exclusion zones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo import settings
from geo.data.boundaries import assign_bydel
from geo.geom import to_analysis_crs
from geo.names import BYDEL_CODES, normalise_bydel, suggest_bydel

__all__ = [
    "candidate_ids_of",
    "coverage_matrix",
    "exclude_zones",
    "grid_candidates",
    "node_candidates",
    "select_bydeler",
]


def candidate_ids_of(cand: gpd.GeoDataFrame, id_col: str | None) -> list[Any]:
    """Candidate ids: ``id_col``, else ``candidate_id``, ``id``, ``name``, else the row number."""
    for column in (id_col, "candidate_id", "id", "name"):
        if column and column in cand.columns:
            return cand[column].tolist()
    return list(range(len(cand)))


def coverage_matrix(engine: Any, cand_xy: np.ndarray, threshold_m: float) -> sp.csr_array:
    """Demand × candidate within-threshold matrix from an engine (``within``, else one by one)."""
    if hasattr(engine, "within"):
        return sp.csr_array(engine.within(cand_xy, threshold_m))
    columns = [
        sp.csr_array(
            np.where(np.asarray(engine.nearest(xy.reshape(1, 2))) <= threshold_m, 1.0, 0.0)[:, None]
        )
        for xy in cand_xy
    ]
    if not columns:
        return sp.csr_array((len(engine.demand_xy), 0))
    return sp.csr_array(sp.hstack(columns, format="csr"))


def grid_candidates(
    bydeler_gdf: gpd.GeoDataFrame,
    spacing_m: float,
    within_codes: Sequence[str] | None = None,
    exclusion: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    exclusion_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Candidate sites on a square grid inside chosen bydeler, minus exclusion zones.

    Grid points sit at multiples of ``spacing_m`` in EPSG:25832 (so the same settings give the
    same ids); a point on a shared boundary goes to the bydel with the lower code.

    Parameters
    ----------
    bydeler_gdf
        Bydel polygons (:func:`geo.boundaries.load_bydeler`).
    spacing_m
        Grid spacing in metres (e.g. 250).
    within_codes
        Bydel codes (or names) to place candidates in; all when ``None``.
    exclusion
        Zones where no site may be placed (drawn or uploaded polygons).
    exclusion_buffer_m
        Extra distance kept from the exclusion zones.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (``grid-<x>-<y>``), ``name``, ``bydel_code``, ``bydel``, ``geometry``
        (points, EPSG:25832).

    """
    if spacing_m <= 0:
        raise ValueError("Avstanden mellom rutenettpunktene må være større enn 0 m.")
    areas = select_bydeler(to_analysis_crs(bydeler_gdf), within_codes)
    minx, miny, maxx, maxy = areas.total_bounds
    xs = np.arange(np.ceil(minx / spacing_m) * spacing_m, maxx + 1e-9, spacing_m)
    ys = np.arange(np.ceil(miny / spacing_m) * spacing_m, maxy + 1e-9, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    points = gpd.GeoSeries(shapely.points(gx.ravel(), gy.ravel()), crs=settings.ANALYSIS_CRS)
    codes = assign_bydel(points, areas).to_numpy()
    keep = pd.notna(codes)
    out = _candidate_frame(
        points[keep].to_numpy(),
        codes[keep],
        [f"grid-{x:.0f}-{y:.0f}" for x, y in zip(gx.ravel()[keep], gy.ravel()[keep], strict=True)],
    )
    if exclusion is not None and len(exclusion):
        out = exclude_zones(out, exclusion, exclusion_buffer_m)
    out.attrs["source"] = f"rutenett {spacing_m:g} m"
    return out


def node_candidates(
    node_xy: np.ndarray,
    bydeler_gdf: gpd.GeoDataFrame,
    n: int = 300,
    within_codes: Sequence[str] | None = None,
    exclusion: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    exclusion_buffer_m: float = 0.0,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """A random sample of street-network nodes inside chosen bydeler as candidate sites.

    Parameters
    ----------
    node_xy
        (k, 2) node coordinates in EPSG:25832 (e.g. ``geo.network.WalkNetwork.xy``).
    bydeler_gdf, within_codes, exclusion, exclusion_buffer_m
        As in :func:`grid_candidates`.
    n
        Sample size (all nodes when fewer).
    seed
        Random seed, so a sample can be repeated.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns as :func:`grid_candidates`, ids ``node-<index>``.

    """
    xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
    areas = select_bydeler(to_analysis_crs(bydeler_gdf), within_codes)
    points = gpd.GeoSeries(shapely.points(xy[:, 0], xy[:, 1]), crs=settings.ANALYSIS_CRS)
    codes = assign_bydel(points, areas).to_numpy()
    inside = np.flatnonzero(pd.notna(codes))
    out = _candidate_frame(points.to_numpy()[inside], codes[inside], [f"node-{k}" for k in inside])
    if exclusion is not None and len(exclusion):
        out = exclude_zones(out, exclusion, exclusion_buffer_m)
    if len(out) > n:
        rng = np.random.default_rng(seed)
        out = out.iloc[np.sort(rng.choice(len(out), size=n, replace=False))].reset_index(drop=True)
    out.attrs["source"] = f"utvalg av {len(out)} gatenoder (frø {seed})"
    return out


def select_bydeler(
    bydeler: gpd.GeoDataFrame, within_codes: Sequence[str] | None
) -> gpd.GeoDataFrame:
    """The bydeler named (codes or names, any spelling); a ValueError with a hint for an unknown one."""
    if not within_codes:
        return bydeler
    wanted = []
    for value in within_codes:
        code = normalise_bydel(value)
        if code is None:
            hint = suggest_bydel(value)
            raise ValueError(
                f"Ukjent bydel «{value}»" + (f" – mente du {', '.join(hint)}?" if hint else ".")
            )
        wanted.append(code)
    chosen = bydeler[bydeler["bydel_code"].isin(wanted)]
    if chosen.empty:
        raise ValueError("Ingen av de valgte bydelene har en polygon i grensesettet.")
    return chosen


def _candidate_frame(geoms: Any, codes: np.ndarray, ids: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "candidate_id": ids,
            "name": [f"Kandidat {i}" for i in ids],
            "bydel_code": list(codes),
            "bydel": [BYDEL_CODES.get(c, c) for c in codes],
        },
        geometry=list(geoms),
        crs=settings.ANALYSIS_CRS,
    )


def exclude_zones(
    candidates: gpd.GeoDataFrame,
    zones_gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Drop candidates inside (or within ``buffer_m`` of) exclusion zones.

    Parameters
    ----------
    candidates
        Candidate points.
    zones_gdf
        Polygons (or any geometries) where no site may be placed; any CRS (without one, the
        system is judged from the values, :func:`geo.geom.to_analysis_crs`).
    buffer_m
        Distance to keep from the zones, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        The remaining candidates (same columns), ``attrs["excluded"]`` = how many were dropped.

    """
    zones = (
        zones_gdf
        if isinstance(zones_gdf, gpd.GeoDataFrame)
        else gpd.GeoDataFrame(geometry=zones_gdf)
    )
    zones = to_analysis_crs(zones)
    geoms = zones.geometry[~(zones.geometry.isna() | zones.geometry.is_empty)]
    cand = to_analysis_crs(candidates)
    if geoms.empty or cand.empty:
        out = cand.copy()
        out.attrs["excluded"] = 0
        return out
    area = shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    if buffer_m > 0:
        area = shapely.buffer(area, buffer_m)
    hit = shapely.intersects(area, cand.geometry.to_numpy())
    out = cand[~hit].reset_index(drop=True)
    out.attrs.update(cand.attrs)
    out.attrs["excluded"] = int(hit.sum())
    return out
