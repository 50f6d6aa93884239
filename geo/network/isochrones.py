"""Service areas: the streets reachable within a threshold (or circles for straight lines)."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import contourpy
import geopandas as gpd
import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra

from geo import settings
from geo.distance import DistanceEngine
from geo.network.engine import NetworkEngine
from geo.network.graph import DEFAULT_MAX_SNAP_M, Snap, WalkNetwork
from geo.settings import minutes_to_metres, walk_minutes

__all__ = [
    "DEFAULT_ISOCHRONE_BUFFER_M",
    "clear_isochrone_cache",
    "corridor_polygon",
    "isochrones",
    "reached_segments",
    "service_areas",
    "straight_isochrones",
]


DEFAULT_ISOCHRONE_BUFFER_M = 35.0
"""Half-width of the corridor drawn around each reached street in an isochrone polygon."""

_CELLS_PER_BUFFER = 6
"""Raster cells per corridor half-width: the polygon edge is then within ~1 % of the buffer."""

_CACHE_SIZE = 2048
# polygons per network, keyed by site, threshold and drawing options; a map redrawn with one
# more candidate computes only that candidate's areas
_cache: weakref.WeakKeyDictionary[WalkNetwork, dict[tuple[float, ...], shapely.Geometry]] = (
    weakref.WeakKeyDictionary()
)


def clear_isochrone_cache() -> None:
    """Forget every cached isochrone polygon (benchmarks time the computation itself)."""
    _cache.clear()


def reached_segments(
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


def corridor_polygon(
    segments: np.ndarray, buffer_m: float, cell_m: float | None = None
) -> shapely.Geometry:
    r"""The area within ``buffer_m`` of any of the straight ``segments``, from a distance raster.

    Uniting thousands of buffered street pieces is what made network isochrones slow. Here the
    segments are sampled every half cell (their end points exactly), the samples burnt into a
    raster of ``cell_m`` cells around them, and one Euclidean distance transform gives each
    cell centre :math:`c` its nearest sample :math:`s(c)`. The polygon is the filled contour

    .. math::

        A = \{\, c : \lVert c - s(c) \rVert \le b \,\}

    with linear interpolation between cell centres. The distance is measured to the samples
    themselves, not to cell centres, so the edge is off the exact buffer by well under a cell
    (``tests`` compare it with ``shapely`` buffers of the same pieces).

    Parameters
    ----------
    segments
        ``(k, 2, 2)`` coordinates: start and end point of each straight piece, in metres.
    buffer_m
        Half-width of the corridor, :math:`b`.
    cell_m
        Raster cell; default ``buffer_m / 6``.

    Returns
    -------
    shapely.Geometry
        A polygon or multipolygon (empty when there are no segments).

    """
    segs = np.asarray(segments, dtype=float).reshape(-1, 2, 2)
    if not len(segs) or buffer_m <= 0:
        return shapely.Polygon()
    cell = float(cell_m) if cell_m else buffer_m / _CELLS_PER_BUFFER
    start, end = segs[:, 0], segs[:, 1]
    length = np.hypot(*(end - start).T)
    per_seg = np.maximum(np.ceil(length / (cell / 2)).astype(np.int64), 1) + 1
    seg_of = np.repeat(np.arange(len(segs)), per_seg)
    first = np.repeat(np.cumsum(per_seg) - per_seg, per_seg)
    frac = (np.arange(len(seg_of)) - first) / (per_seg[seg_of] - 1)
    samples = start[seg_of] + (end - start)[seg_of] * frac[:, None]

    margin = buffer_m + 2 * cell
    origin = samples.min(axis=0) - margin
    shape = np.ceil((samples.max(axis=0) + margin - origin) / cell).astype(np.int64) + 1
    col, row = np.rint((samples - origin) / cell).astype(np.int64).T
    burnt = np.ones((shape[1], shape[0]), dtype=bool)
    burnt[row, col] = False
    sample_x = np.zeros(burnt.shape)
    sample_y = np.zeros(burnt.shape)
    sample_x[row, col] = samples[:, 0]
    sample_y[row, col] = samples[:, 1]
    near_row, near_col = ndimage.distance_transform_edt(
        burnt, return_distances=False, return_indices=True
    )
    gx = origin[0] + np.arange(shape[0]) * cell
    gy = origin[1] + np.arange(shape[1]) * cell
    dist = np.hypot(
        gx[None, :] - sample_x[near_row, near_col], gy[:, None] - sample_y[near_row, near_col]
    )
    contours = contourpy.contour_generator(gx, gy, dist, fill_type=contourpy.FillType.OuterOffset)
    filled = contours.filled(-1.0, buffer_m)  # OuterOffset: (points, offsets) per polygon
    polygons = []
    speck = (2 * cell) ** 2  # holes smaller than this are raster artefacts, not blocks
    for pts, offs in zip(filled[0], filled[1], strict=True):
        rings = [np.asarray(pts)[a:b] for a, b in itertools.pairwise(np.asarray(offs))]
        holes = [r for r in rings[1:] if shapely.Polygon(r).area >= speck]
        polygons.append(shapely.Polygon(rings[0], holes))
    geom = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
    return geom if geom.is_valid else shapely.make_valid(geom)


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
    threshold's polygon is the ``buffer_m`` corridor (:func:`corridor_polygon`) around the
    reached street pieces (edges partly within reach are cut where the remaining distance runs
    out), plus the walk from the site to its snapping node. Polygons are cached per network,
    site and threshold, so a map redrawn with one more site computes only that site's areas.

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
    radii = _thresholds(thresholds_m, minutes, speed_kmh)
    pts = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    ids = list(range(len(pts))) if site_ids is None else list(site_ids)
    if len(ids) != len(pts):
        raise ValueError("site_ids må ha én verdi per lokasjon.")
    snap = network.snap(pts, max_snap_m)
    cache = _cache.setdefault(network, {})
    records: list[dict[str, Any]] = []
    for k, (px, py) in enumerate(pts):
        keys = [(px, py, radius, buffer_m, max_snap_m) for radius in radii]
        if any(key not in cache for key in keys):
            polygons = _site_isochrones(network, (px, py), snap, k, radii, buffer_m)
            if len(cache) + len(keys) > _CACHE_SIZE:
                cache.clear()
            cache.update(zip(keys, polygons, strict=True))
        records += [
            {
                "site_id": ids[k],
                "threshold_m": radius,
                "minutes": walk_minutes(radius, speed_kmh),
                "distance": "gangnett",
                "geometry": cache[key],
            }
            for radius, key in zip(radii, keys, strict=True)
        ]
    return gpd.GeoDataFrame(records, geometry="geometry", crs=settings.ANALYSIS_CRS)


def _site_isochrones(
    network: WalkNetwork,
    site: tuple[float, float],
    snap: Snap,
    k: int,
    radii: list[float],
    buffer_m: float,
) -> list[shapely.Geometry]:
    """One bounded search from site ``k``, then one corridor polygon per threshold."""
    offset = float(snap.snap_m[k])
    if not snap.on_network[k] or offset >= radii[0]:
        return [shapely.Polygon() for _ in radii]
    dist = (
        dijkstra(network.csr, directed=True, indices=int(snap.node[k]), limit=radii[0] - offset)
        + offset
    )
    reached = np.isfinite(dist)
    touched = np.flatnonzero(reached[network.edge_u] | reached[network.edge_v])
    access = np.array([[site, network.xy[snap.node[k]]]])
    return [
        corridor_polygon(
            np.concatenate([reached_segments(network, dist, radius, touched), access]), buffer_m
        )
        if offset < radius
        else shapely.Polygon()
        for radius in radii
    ]


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
