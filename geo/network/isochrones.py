"""Service areas: the streets reachable within a threshold (or circles for straight lines)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo import settings
from geo.distance import DistanceEngine
from geo.network.engine import NetworkEngine
from geo.network.graph import DEFAULT_MAX_SNAP_M, WalkNetwork
from geo.settings import minutes_to_metres, walk_minutes

__all__ = [
    "DEFAULT_ISOCHRONE_BUFFER_M",
    "isochrones",
    "service_areas",
    "straight_isochrones",
]


DEFAULT_ISOCHRONE_BUFFER_M = 35.0
"""Half-width of the corridor drawn around each reached street in an isochrone polygon."""


def _reached_segments(
    network: WalkNetwork, node_dist: np.ndarray, radius: float, edges: np.ndarray | None = None
) -> np.ndarray:
    """Straight pieces of the network within ``radius`` of a source, as ``(k, 2, 2)`` coordinates.

    An edge reached from both ends is whole when the two reaches overlap; otherwise each end
    contributes the piece it can still walk, ``radius - D(end)``. ``edges`` limits the work to
    edges with a reached end (all edges when ``None``).
    """
    if edges is None:
        edges = np.arange(network.n_edges)
    u, v, w = network.edge_u[edges], network.edge_v[edges], network.edge_length[edges]
    reach_u = np.clip(radius - node_dist[u], 0.0, w)
    reach_v = np.clip(radius - node_dist[v], 0.0, w)
    reach_u = np.nan_to_num(reach_u, nan=0.0, neginf=0.0)
    reach_v = np.nan_to_num(reach_v, nan=0.0, neginf=0.0)
    pu = network.xy[u]
    pv = network.xy[v]
    whole = (reach_u + reach_v >= w) & ((reach_u > 0) | (reach_v > 0) | (w == 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac_u = np.where(w > 0, reach_u / w, 0.0)
        frac_v = np.where(w > 0, reach_v / w, 0.0)
    part_u = ~whole & (reach_u > 0)
    part_v = ~whole & (reach_v > 0)
    pieces = [
        np.stack([pu[whole], pv[whole]], axis=1),
        np.stack(
            [pu[part_u], pu[part_u] + (pv[part_u] - pu[part_u]) * frac_u[part_u, None]], axis=1
        ),
        np.stack(
            [pv[part_v], pv[part_v] + (pu[part_v] - pv[part_v]) * frac_v[part_v, None]], axis=1
        ),
    ]
    return np.concatenate(pieces, axis=0)


def isochrones(
    network: WalkNetwork,
    site_xy: np.ndarray,
    thresholds_m: Iterable[float] | None = None,
    *,
    minutes: Iterable[float] | None = None,
    site_ids: Sequence[Any] | None = None,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    buffer_m: float = DEFAULT_ISOCHRONE_BUFFER_M,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Service areas on the walking network: the streets reachable within each threshold.

    For each site one bounded Dijkstra finds every node within the largest threshold; each
    threshold's polygon is the union of ``buffer_m`` corridors around the reached street pieces
    (edges partly within reach are cut where the remaining distance runs out), plus the walk
    from the site to its snapping node.

    Parameters
    ----------
    network
        The walking network.
    site_xy
        ``(m, 2)`` coordinates in EPSG:25832.
    thresholds_m
        Distances in metres (e.g. ``[500]``).
    minutes
        Walking times (e.g. ``[10, 15]``), converted at ``speed_kmh``; combined with
        ``thresholds_m``.
    site_ids
        Identifier per site for the output; default ``0..m-1``.
    speed_kmh
        Walking speed for ``minutes`` and the ``minutes`` column.
    buffer_m
        Half-width of the corridor around each reached street.
    max_snap_m
        A site farther than this from the network gets an empty polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``threshold_m``, ``minutes``, ``distance`` (``"gangnett"``), ``geometry``
        (EPSG:25832), one row per site and threshold, largest threshold first per site.

    """
    import geopandas as gpd
    import shapely

    radii = _thresholds(thresholds_m, minutes, speed_kmh)
    pts = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    ids = list(range(len(pts))) if site_ids is None else list(site_ids)
    if len(ids) != len(pts):
        raise ValueError("site_ids må ha én verdi per lokasjon.")
    snap = network.snap(pts, max_snap_m)
    records: list[dict[str, Any]] = []
    for k, (px, py) in enumerate(pts):
        offset = float(snap.snap_m[k])
        dist = np.full(network.n_nodes, np.inf)
        touched = np.zeros(0, dtype=np.int64)
        if snap.on_network[k] and offset < radii[0]:
            dist = (
                dijkstra(
                    network.csr, directed=True, indices=int(snap.node[k]), limit=radii[0] - offset
                )
                + offset
            )
            reached = np.isfinite(dist)
            touched = np.flatnonzero(reached[network.edge_u] | reached[network.edge_v])
        for radius in radii:
            geom = shapely.Polygon()
            if snap.on_network[k] and offset < radius:
                segs = _reached_segments(network, dist, radius, touched)
                node_xy = network.xy[snap.node[k]]
                access = np.array([[[px, py], node_xy]])
                lines = shapely.linestrings(np.concatenate([segs, access], axis=0))
                # buffering pieces one by one and then uniting is ~4× faster than buffering
                # one big MultiLineString
                geom = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=3))
            records.append(
                {
                    "site_id": ids[k],
                    "threshold_m": radius,
                    "minutes": walk_minutes(radius, speed_kmh),
                    "distance": "gangnett",
                    "geometry": geom,
                }
            )
    return gpd.GeoDataFrame(records, geometry="geometry", crs=settings.ANALYSIS_CRS)


def service_areas(
    engine: DistanceEngine,
    site_xy: np.ndarray,
    thresholds_m: Iterable[float] | None = None,
    *,
    minutes: Iterable[float] | None = None,
    site_ids: Sequence[Any] | None = None,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    buffer_m: float = DEFAULT_ISOCHRONE_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Service areas with whatever distance an engine measures: network isochrones or circles.

    A :class:`NetworkEngine` gives :func:`isochrones`; any other engine gives
    :func:`straight_isochrones` (``distance = "luftlinje"``). ``attrs["note"]`` carries the
    engine's note (including a straight-line fallback) for maps and exports.
    """
    if isinstance(engine, NetworkEngine):
        out = isochrones(
            engine.network,
            site_xy,
            thresholds_m,
            minutes=minutes,
            site_ids=site_ids,
            speed_kmh=speed_kmh,
            buffer_m=buffer_m,
            max_snap_m=engine.max_snap_m,
        )
    else:
        out = straight_isochrones(
            site_xy, thresholds_m, minutes=minutes, site_ids=site_ids, speed_kmh=speed_kmh
        )
    out.attrs["note"] = getattr(engine, "note", "")
    return out


def straight_isochrones(
    site_xy: np.ndarray,
    thresholds_m: Iterable[float] | None = None,
    *,
    minutes: Iterable[float] | None = None,
    site_ids: Sequence[Any] | None = None,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
) -> gpd.GeoDataFrame:
    """Straight-line fallback for :func:`isochrones`: circles labelled ``"luftlinje"``."""
    import geopandas as gpd
    import shapely

    radii = _thresholds(thresholds_m, minutes, speed_kmh)
    pts = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    ids = list(range(len(pts))) if site_ids is None else list(site_ids)
    if len(ids) != len(pts):
        raise ValueError("site_ids må ha én verdi per lokasjon.")
    records = [
        {
            "site_id": ids[k],
            "threshold_m": radius,
            "minutes": walk_minutes(radius, speed_kmh),
            "distance": "luftlinje",
            "geometry": shapely.Point(px, py).buffer(radius, quad_segs=16),
        }
        for k, (px, py) in enumerate(pts)
        for radius in radii
    ]
    return gpd.GeoDataFrame(records, geometry="geometry", crs=settings.ANALYSIS_CRS)


def _thresholds(
    thresholds_m: Iterable[float] | None, minutes: Iterable[float] | None, speed_kmh: float
) -> list[float]:
    radii = [float(t) for t in (thresholds_m or [])]
    radii += [float(minutes_to_metres(t, speed_kmh)) for t in (minutes or [])]
    if not radii:
        radii = [settings.DEFAULT_THRESHOLD_M]
    if any(not np.isfinite(r) or r <= 0 for r in radii):
        raise ValueError("Terskler må være positive tall.")
    return sorted(set(radii), reverse=True)
