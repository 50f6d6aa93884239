r"""Walking network: loading, caching, snapping, network distances and isochrones.

Straight lines cross the Akerselva, the railway yards and the fjord; a planner needs walking
distance. This module keeps Oslo's pedestrian network (OpenStreetMap, osmnx ``network_type="walk"``)
as a compact, undirected graph in EPSG:25832 and answers distance questions with compiled
shortest-path routines (:func:`scipy.sparse.csgraph.dijkstra`), never with a Python loop over
networkx.

Where the network comes from (first match wins, see :func:`load_walk_network`):

1. ``<data_dir>/network/oslo_walk.npz`` – this module's own cache (node ids, x, y and edge arrays in
   EPSG:25832; loads in well under a second);
2. ``<data_dir>/network/oslo_walk.graphml`` – a graph saved by ``osmnx.save_graphml``;
3. ``<data_dir>/network/*.osm``, ``*.osm.xml`` or ``*.osm.bz2`` – an OpenStreetMap XML extract, read
   with ``osmnx.graph_from_xml`` and filtered to walkable ways;
4. only when asked (``allow_download=True`` / CLI ``network-cache --download``): downloaded with
   ``osmnx.graph_from_polygon(<Oslo boundary>, network_type="walk")``.

A graph read from 2–4 is projected to EPSG:25832, densified (no segment longer than
``max_segment_m``, default 50 m) and written to the ``.npz`` cache.

If no network can be found, :func:`distance_engine` falls back to straight-line distance and returns
a note saying so (``"Gangnett ikke tilgjengelig – avstander er luftlinje"``) that every output must
show; the fallback is never silent.

Network distance between a demand point *i* and a site *j*:

.. math::

    d_{ij} = s_i + \delta(n_i, n_j) + s_j

where :math:`n_i` is the network node nearest to the point, :math:`s_i` the straight snapping
distance to it, and :math:`\delta` the shortest-path length along the network. Because long edges
are split every ``max_segment_m`` metres, a point snaps to within ``max_segment_m / 2`` of the
nearest point on a street, plus its distance from the street. Points (demand or sites) farther than
``max_snap_m`` (default 300 m) from any node are *off the network*: their distance is ``inf``
(unreachable on foot) and they are counted in :attr:`NetworkEngine.n_off_network` so the output can
say how many there were.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo import settings

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from geo.distance import DistanceEngine

logger = logging.getLogger(__name__)

CACHE_NAME = "oslo_walk.npz"
GRAPHML_NAME = "oslo_walk.graphml"
OSM_PATTERNS = ("*.osm", "*.osm.xml", "*.osm.bz2")
NETWORK_SUBDIR = "network"
CACHE_FORMAT_VERSION = 1

DEFAULT_MAX_SNAP_M = 300.0
"""Points farther than this from the walking network are treated as unreachable on foot."""
DEFAULT_MAX_SEGMENT_M = 50.0
"""Longer edges are split so that snapping to the nearest node is never more than 25 m off."""
DEFAULT_ISOCHRONE_BUFFER_M = 35.0
"""Half-width of the corridor drawn around each reached street in an isochrone polygon."""

NOTE_ENGINE = "Avstander er gangavstand langs gangnettet (OpenStreetMap)."
NOTE_NETWORK = "Avstander langs gangnettet (OpenStreetMap), ganghastighet {speed} km/t."
NOTE_STRAIGHT = "Avstander er luftlinje (valgt), ganghastighet {speed} km/t."
NOTE_FALLBACK = (
    "Gangnett ikke tilgjengelig – avstander er luftlinje, ganghastighet {speed} km/t. ({reason})"
)
NOTE_OFF_NETWORK = (
    " {count} etterspørselspunkt ligger over {snap} m fra gangnettet og regnes som utilgjengelige."
)

NOTE_OFF_NETWORK_WALK = " {count} etterspørselspunkt ligger over {snap} m fra gangnettet; veien dit er regnet i luftlinje."

# osmnx's own "walk" filter (osmnx/_overpass.py), applied to OSM XML extracts that were not
# filtered on download.
_EXCLUDED_HIGHWAY = re.compile(
    "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|"
    "razed|rest_area|services"
)
_WALK_TAGS = ("foot", "sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")

_UNREACHED = -9999  # scipy's marker for "no source reached this node"


def walk_minutes(metres: Any, speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH) -> Any:
    r"""Convert metres to walking minutes.

    .. math::

        t = \frac{d}{v \cdot 1000 / 60}

    Parameters
    ----------
    metres
        Scalar or array of distances in metres (``inf`` stays ``inf``).
    speed_kmh
        Walking speed, default 4.5 km/h (75 m per minute).

    Returns
    -------
    float or numpy.ndarray
        Minutes, same shape as ``metres``.

    """
    per_minute = settings.walk_metres_per_minute(speed_kmh)
    if np.ndim(metres):
        return np.asarray(metres, dtype=float) / per_minute
    return float(metres) / per_minute


def minutes_to_metres(minutes: Any, speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH) -> Any:
    """Convert walking minutes to metres at ``speed_kmh`` (10 min at 4.5 km/h → 750 m)."""
    if np.ndim(minutes):
        return np.asarray(minutes, dtype=float) * settings.walk_metres_per_minute(speed_kmh)
    return float(minutes) * settings.walk_metres_per_minute(speed_kmh)


class NetworkUnavailableError(FileNotFoundError):
    """No walking network was found (no cache, GraphML or OSM extract) and none could be made."""


@dataclass
class WalkNetwork:
    """An undirected walking network in EPSG:25832.

    Every edge is a straight segment between two nodes; its length is the Euclidean length of that
    segment (after densification, the sum over an edge's pieces equals the projected length of
    the original OSM geometry).

    Attributes
    ----------
    node_id
        OSM node id per node; nodes inserted by densification get negative ids.
    x, y
        Node coordinates, EPSG:25832 metres.
    edge_u, edge_v
        Node positions of each undirected edge (each pair once, ``u < v``).
    edge_length
        Edge lengths in metres.
    source
        Human-readable origin (file name or ``"synthetic grid"``).

    """

    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    source: str = ""
    crs: str = settings.ANALYSIS_CRS
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edges(
        cls,
        x: Sequence[float] | np.ndarray,
        y: Sequence[float] | np.ndarray,
        edge_u: Sequence[int] | np.ndarray,
        edge_v: Sequence[int] | np.ndarray,
        edge_length: Sequence[float] | np.ndarray | None = None,
        node_id: Sequence[int] | np.ndarray | None = None,
        source: str = "",
    ) -> WalkNetwork:
        """Build a network from node coordinates and an edge list.

        Self-loops are dropped; of parallel edges (in either direction) the shortest is kept.

        Parameters
        ----------
        x, y
            Node coordinates in EPSG:25832.
        edge_u, edge_v
            Positions (0-based) of the two end nodes of each edge.
        edge_length
            Edge lengths in metres; default the straight distance between the end nodes.
        node_id
            External node ids; default ``0..n-1``.
        source
            Where the network came from, shown in outputs.

        """
        xs = np.asarray(x, dtype=float)
        ys = np.asarray(y, dtype=float)
        u = np.asarray(edge_u, dtype=np.int64)
        v = np.asarray(edge_v, dtype=np.int64)
        if xs.shape != ys.shape or u.shape != v.shape:
            raise ValueError("x/y og edge_u/edge_v må ha samme lengde.")
        n = len(xs)
        if len(u) and (u.min() < 0 or v.min() < 0 or max(u.max(), v.max()) >= n):
            raise ValueError("En kant viser til en node som ikke finnes.")
        if edge_length is None:
            length = np.hypot(xs[u] - xs[v], ys[u] - ys[v])
        else:
            length = np.asarray(edge_length, dtype=float)
            if length.shape != u.shape:
                raise ValueError("edge_length må ha én verdi per kant.")
            if np.any(~np.isfinite(length)) or np.any(length < 0):
                raise ValueError("Kantlengder må være endelige og ikke negative.")
        keep = u != v
        lo = np.minimum(u, v)[keep]
        hi = np.maximum(u, v)[keep]
        length = length[keep]
        order = np.lexsort((length, hi, lo))
        lo, hi, length = lo[order], hi[order], length[order]
        first = np.ones(len(lo), dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        ids = (
            np.arange(n, dtype=np.int64) if node_id is None else np.asarray(node_id, dtype=np.int64)
        )
        return cls(
            node_id=ids,
            x=xs,
            y=ys,
            edge_u=lo[first].astype(np.int32),
            edge_v=hi[first].astype(np.int32),
            edge_length=length[first],
            source=source,
        )

    @classmethod
    def from_networkx(
        cls, graph: nx.MultiDiGraph, max_segment_m: float = DEFAULT_MAX_SEGMENT_M, source: str = ""
    ) -> WalkNetwork:
        """Convert an osmnx graph to a walking network in EPSG:25832.

        The graph is projected if it is not yet in EPSG:25832. Edge geometries (or straight lines
        where an edge has none) are split so that no piece is longer than ``max_segment_m``; the
        inner vertices become nodes with negative ids. Direction is ignored (walking is two-way).

        Parameters
        ----------
        graph
            An osmnx ``MultiDiGraph`` (any CRS known to osmnx).
        max_segment_m
            Longest straight piece kept; ``0`` or ``inf`` keeps the original vertices only.
        source
            Where the graph came from.

        """
        import osmnx as ox
        import pyproj
        import shapely

        crs = graph.graph.get("crs")
        if crs is None or pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_user_input(
            settings.ANALYSIS_CRS
        ):
            graph = ox.project_graph(graph, to_crs=settings.ANALYSIS_CRS)
        nodes = list(graph.nodes)
        if not nodes:
            raise ValueError("Gangnettet er tomt.")
        pos = {node: i for i, node in enumerate(nodes)}
        node_x = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
        node_y = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
        node_ids = np.array([int(n) for n in nodes], dtype=np.int64)

        # One geometry per unordered node pair: the shortest (parallel ways, reverse twins).
        best: dict[tuple[int, int], tuple[float, Any]] = {}
        for a, b, data in graph.edges(data=True):
            ia, ib = pos[a], pos[b]
            if ia == ib:
                continue
            geom = data.get("geometry")
            if geom is None:
                geom = shapely.LineString([(node_x[ia], node_y[ia]), (node_x[ib], node_y[ib])])
            key = (ia, ib) if ia < ib else (ib, ia)
            if ia > ib:
                geom = shapely.reverse(geom)
            length = float(geom.length)
            if key not in best or length < best[key][0]:
                best[key] = (length, geom)
        if not best:
            raise ValueError("Gangnettet har ingen kanter.")
        keys = np.array(list(best.keys()), dtype=np.int64)
        geoms = np.array([g for _, g in best.values()], dtype=object)
        if max_segment_m and np.isfinite(max_segment_m):
            geoms = shapely.segmentize(geoms, max_segment_m)
        coords, which = shapely.get_coordinates(geoms, return_index=True)
        # Positions of each vertex: first/last vertex of an edge is its end node, the rest new.
        starts = np.r_[0, np.flatnonzero(np.diff(which)) + 1]
        ends = np.r_[starts[1:] - 1, len(which) - 1]
        is_inner = np.ones(len(which), dtype=bool)
        is_inner[starts] = False
        is_inner[ends] = False
        vertex_node = np.empty(len(which), dtype=np.int64)
        vertex_node[starts] = keys[:, 0]
        vertex_node[ends] = keys[:, 1]
        n_inner = int(is_inner.sum())
        vertex_node[is_inner] = len(nodes) + np.arange(n_inner)
        all_x = np.r_[node_x, coords[is_inner, 0]]
        all_y = np.r_[node_y, coords[is_inner, 1]]
        # Snap the end vertices onto their node (geometry ends can differ by float noise).
        coords[starts] = np.c_[node_x[keys[:, 0]], node_y[keys[:, 0]]]
        coords[ends] = np.c_[node_x[keys[:, 1]], node_y[keys[:, 1]]]
        same_edge = which[1:] == which[:-1]
        seg_u = vertex_node[:-1][same_edge]
        seg_v = vertex_node[1:][same_edge]
        seg_len = np.hypot(*(coords[1:][same_edge] - coords[:-1][same_edge]).T)
        all_ids = np.r_[node_ids, -(np.arange(n_inner, dtype=np.int64) + 1)]
        net = cls.from_edges(all_x, all_y, seg_u, seg_v, seg_len, node_id=all_ids, source=source)
        net.meta["max_segment_m"] = float(max_segment_m or 0.0)
        return net

    @classmethod
    def from_graphml(
        cls, path: str | Path, max_segment_m: float = DEFAULT_MAX_SEGMENT_M
    ) -> WalkNetwork:
        """Read a graph saved with ``osmnx.save_graphml`` (any CRS; projected here)."""
        import osmnx as ox

        graph = ox.load_graphml(Path(path))
        return cls.from_networkx(graph, max_segment_m=max_segment_m, source=Path(path).name)

    @classmethod
    def from_osm_xml(
        cls, path: str | Path, max_segment_m: float = DEFAULT_MAX_SEGMENT_M
    ) -> WalkNetwork:
        """Read an OpenStreetMap XML extract (``.osm``, ``.osm.xml``, ``.osm.bz2``).

        Ways are filtered with osmnx's ``walk`` rules (no motorways, cycleways, ``foot=no``,
        private service roads, separately mapped sidewalks …), made two-way, reduced to the largest
        connected component and projected to EPSG:25832.
        """
        import osmnx as ox

        path = Path(path)
        wanted = list(dict.fromkeys([*ox.settings.useful_tags_way, *_WALK_TAGS]))
        previous = ox.settings.useful_tags_way
        ox.settings.useful_tags_way = wanted
        try:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
        finally:
            ox.settings.useful_tags_way = previous
        drop = [(a, b, k) for a, b, k, d in graph.edges(keys=True, data=True) if not _walkable(d)]
        graph.remove_edges_from(drop)
        graph.remove_nodes_from([n for n, deg in dict(graph.degree()).items() if deg == 0])
        if graph.number_of_edges() == 0:
            raise ValueError(f"{path.name}: ingen gangbare veier i OSM-filen.")
        graph = ox.truncate.largest_component(graph, strongly=False)
        graph = ox.simplify_graph(graph)
        return cls.from_networkx(graph, max_segment_m=max_segment_m, source=path.name)

    # ------------------------------------------------------------------ cache
    def save(self, path: str | Path) -> Path:
        """Write the network to this module's ``.npz`` cache format (atomic replace)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            format_version=np.int64(CACHE_FORMAT_VERSION),
            crs=np.str_(self.crs),
            source=np.str_(self.source),
            created=np.str_(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            max_segment_m=np.float64(self.meta.get("max_segment_m", 0.0)),
            node_id=self.node_id,
            x=self.x,
            y=self.y,
            edge_u=self.edge_u,
            edge_v=self.edge_v,
            edge_length=self.edge_length,
        )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> WalkNetwork:
        """Read a network written by :meth:`save`."""
        path = Path(path)
        with np.load(path, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != CACHE_FORMAT_VERSION:
                raise ValueError(f"{path.name}: ukjent versjon {version} av gangnett-cachen.")
            crs = str(data["crs"])
            if crs != settings.ANALYSIS_CRS:
                raise ValueError(
                    f"{path.name}: gangnettet er i {crs}, ventet {settings.ANALYSIS_CRS}."
                )
            net = cls(
                node_id=data["node_id"],
                x=data["x"],
                y=data["y"],
                edge_u=data["edge_u"],
                edge_v=data["edge_v"],
                edge_length=data["edge_length"],
                source=str(data["source"]),
                crs=crs,
                meta={
                    "created": str(data["created"]),
                    "max_segment_m": float(data["max_segment_m"]),
                },
            )
        return net

    # ------------------------------------------------------------------ derived structures
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return len(self.edge_u)

    @cached_property
    def xy(self) -> np.ndarray:
        """Node coordinates as an ``(n, 2)`` array."""
        return np.column_stack([self.x, self.y])

    @cached_property
    def csr(self) -> sp.csr_matrix:
        """Symmetric adjacency matrix (metres) with int32 indices, as scipy's csgraph wants it.

        Zero-length edges are stored explicitly (csgraph treats a stored 0 as an edge).
        """
        n = self.n_nodes
        rows = np.r_[self.edge_u, self.edge_v].astype(np.int32)
        cols = np.r_[self.edge_v, self.edge_u].astype(np.int32)
        data = np.r_[self.edge_length, self.edge_length].astype(float)
        order = np.lexsort((cols, rows))
        rows, cols, data = rows[order], cols[order], data[order]
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_matrix((data, cols, indptr), shape=(n, n))

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree over the nodes, for snapping."""
        return cKDTree(self.xy)

    @cached_property
    def lengths_cover_straight_line(self) -> bool:
        """Whether every edge is at least as long as the straight line between its end nodes.

        Then no path of length :math:`L` leaves the disc of radius :math:`L` around its start,
        which lets searches work on a local subgraph (:meth:`NetworkEngine.within`).
        """
        chord = np.hypot(
            self.x[self.edge_u] - self.x[self.edge_v], self.y[self.edge_u] - self.y[self.edge_v]
        )
        return bool(np.all(self.edge_length >= chord * (1 - 1e-9) - 1e-6))

    @cached_property
    def max_incident_length(self) -> np.ndarray:
        """Longest edge at each node (0 for isolated nodes); bounds how far a search can leak."""
        out = np.zeros(self.n_nodes)
        np.maximum.at(out, self.edge_u, self.edge_length)
        np.maximum.at(out, self.edge_v, self.edge_length)
        return out

    def snap(self, xy: np.ndarray, max_snap_m: float = DEFAULT_MAX_SNAP_M) -> Snap:
        """Snap points to their nearest node.

        Parameters
        ----------
        xy
            ``(m, 2)`` coordinates in EPSG:25832.
        max_snap_m
            Points farther than this from every node get ``on_network = False``.

        """
        pts = np.asarray(xy, dtype=float).reshape(-1, 2)
        if len(pts) == 0 or self.n_nodes == 0:
            return Snap(
                np.zeros(len(pts), np.int64), np.full(len(pts), np.inf), np.zeros(len(pts), bool)
            )
        finite = np.all(np.isfinite(pts), axis=1)
        dist = np.full(len(pts), np.inf)
        node = np.zeros(len(pts), dtype=np.int64)
        if finite.any():
            d, i = self.tree.query(pts[finite])
            dist[finite] = d
            node[finite] = i
        return Snap(node=node, snap_m=dist, on_network=dist <= max_snap_m)

    def describe(self) -> str:
        """One line for outputs: source and size."""
        return (
            f"{self.source or 'gangnett'}: {self.n_nodes:,} noder, {self.n_edges:,} kanter".replace(
                ",", " "
            )
        )


@dataclass(frozen=True)
class Snap:
    """Result of :meth:`WalkNetwork.snap`: nearest node, distance to it, and whether it counts."""

    node: np.ndarray
    snap_m: np.ndarray
    on_network: np.ndarray


def _walkable(data: dict[str, Any]) -> bool:
    """Apply osmnx's ``walk`` filter to one edge's tags (values may be lists after simplifying)."""

    def values(key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    highway = values("highway")
    if not highway or any(_EXCLUDED_HIGHWAY.search(h) for h in highway):
        return False
    if "yes" in values("area") or "no" in values("foot") or "private" in values("service"):
        return False
    if "private" in values("access"):
        return False
    return not any("separate" in values(tag) for tag in _WALK_TAGS[1:])


# ---------------------------------------------------------------------- shortest paths
def multi_source_dijkstra(
    csr: sp.csr_matrix,
    source_nodes: np.ndarray,
    source_offsets: np.ndarray | None = None,
    limit: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Shortest distance from the nearest of several sources to every node, in compiled code.

    Each source *j* starts with its own offset :math:`o_j` (e.g. its snapping distance): one
    virtual node per source is linked to its network node by an edge of length :math:`o_j`, and
    :func:`scipy.sparse.csgraph.dijkstra` runs once from all virtual nodes (``min_only=True``).

    .. math::

        D(v) = \min_j \left( o_j + \delta(n_j, v) \right)

    Parameters
    ----------
    csr
        Symmetric adjacency matrix (:attr:`WalkNetwork.csr`).
    source_nodes
        Node position of each source.
    source_offsets
        Starting distance of each source; default 0.
    limit
        Stop searching beyond this distance (nodes farther get ``inf``).

    Returns
    -------
    distance : numpy.ndarray
        ``(n_nodes,)`` metres, ``inf`` where no source is within ``limit``.
    source : numpy.ndarray
        ``(n_nodes,)`` position (into ``source_nodes``) of the nearest source, ``-1`` if none.

    """
    n = csr.shape[0]
    nodes = np.asarray(source_nodes, dtype=np.int32)
    m = len(nodes)
    if m == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    offsets = np.zeros(m) if source_offsets is None else np.asarray(source_offsets, dtype=float)
    indptr = np.r_[csr.indptr, csr.indptr[-1] + np.arange(1, m + 1)].astype(np.int32)
    indices = np.r_[csr.indices, nodes].astype(np.int32)
    data = np.r_[csr.data, offsets]
    augmented = sp.csr_matrix((data, indices, indptr), shape=(n + m, n + m))
    dist, _, origin = dijkstra(
        augmented,
        directed=True,
        indices=np.arange(n, n + m, dtype=np.int32),
        min_only=True,
        return_predecessors=True,
        limit=limit,
    )
    origin = origin[:n].astype(np.int64)
    source = np.where(origin == _UNREACHED, -1, origin - n)
    return dist[:n], source


def map_positions(positions: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Translate local positions (``-1`` = none) into ``positions[local]``, keeping ``-1``."""
    out = np.full(len(local), -1, dtype=np.int64)
    found = local >= 0
    if len(positions):
        out[found] = np.asarray(positions, dtype=np.int64)[local[found]]
    return out


# ---------------------------------------------------------------------- the engine
class NetworkEngine:
    """Walking distances from fixed demand points to any set of sites.

    Implements the :class:`geo.distance.DistanceEngine` protocol (``kind``, ``demand_xy``,
    ``nearest``, ``nearest_with_index``) so it can replace the straight-line engine anywhere.

    Parameters
    ----------
    network
        The walking network.
    demand_xy
        ``(n, 2)`` demand point coordinates in EPSG:25832.
    max_snap_m
        Demand points and sites farther than this from the network are off the network. Sites
        off the network are ignored (they reach nobody).
    off_network
        What off-network demand points get: ``"unreachable"`` (default) – ``inf``, i.e. never
        within any threshold; ``"walk"`` – the straight walk to the nearest node is added like any
        other snapping distance (useful when demand cells fall in parks or water by construction).
        Either way the count is in :attr:`n_off_network` and in :attr:`note`.

    Notes
    -----
    The distance between demand point *i* and site *j* is snapping distance + shortest path +
    snapping distance (module docstring). Ties between equally near sites go to either one.

    """

    kind = "network"

    def __init__(
        self,
        network: WalkNetwork,
        demand_xy: np.ndarray,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        off_network: str = "unreachable",
    ) -> None:
        if off_network not in {"unreachable", "walk"}:
            raise ValueError(
                f"off_network må være «unreachable» eller «walk», ikke «{off_network}»."
            )
        self.network = network
        self.max_snap_m = float(max_snap_m)
        self.off_network = off_network
        self.demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
        snap = network.snap(self.demand_xy, self.max_snap_m)
        self.demand_node = snap.node
        self.demand_snap_m = snap.snap_m
        self.n_off_network = int((~snap.on_network & np.isfinite(snap.snap_m)).sum())
        """Number of demand points farther than ``max_snap_m`` from the network."""
        self.demand_on_network = (
            snap.on_network if off_network == "unreachable" else np.isfinite(snap.snap_m)
        )
        self.note = NOTE_ENGINE
        if self.n_off_network:
            template = NOTE_OFF_NETWORK if off_network == "unreachable" else NOTE_OFF_NETWORK_WALK
            self.note += template.format(count=self.n_off_network, snap=f"{self.max_snap_m:g}")

    def snap_sites(self, site_xy: np.ndarray) -> Snap:
        """Snap sites to the network with this engine's ``max_snap_m``."""
        return self.network.snap(site_xy, self.max_snap_m)

    def node_distances(
        self, site_xy: np.ndarray, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance from the nearest site to every network node, and that site's position.

        Returns
        -------
        distance, site : numpy.ndarray
            ``(n_nodes,)`` metres (including the site's snapping distance) and site position
            (``-1`` where no site is reachable).

        """
        snap = self.snap_sites(site_xy)
        usable = np.flatnonzero(snap.on_network)
        dist, src = multi_source_dijkstra(
            self.network.csr, snap.node[usable], snap.snap_m[usable], limit=limit
        )
        return dist, map_positions(usable, src)

    def demand_from_nodes(
        self, node_dist: np.ndarray, node_site: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Turn node-level distances into demand-point distances (adds the demand snap)."""
        dist = self.demand_snap_m + node_dist[self.demand_node]
        idx = node_site[self.demand_node].astype(np.int64)
        off = ~self.demand_on_network
        dist[off] = np.inf
        idx[off] = -1
        idx[~np.isfinite(dist)] = -1
        return dist, idx

    def nearest_with_index(self, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Network metres to the nearest site, and that site's position (``-1`` if none)."""
        return self.demand_from_nodes(*self.node_distances(site_xy))

    def nearest(self, site_xy: np.ndarray) -> np.ndarray:
        """Metres along the network from each demand point to its nearest site (``inf`` if none)."""
        return self.nearest_with_index(site_xy)[0]

    def within(
        self,
        site_xy: np.ndarray,
        threshold_m: float,
        batch_size: int = 32,
        chunk_bytes: int = 64 * 2**20,
    ) -> sp.csr_array:
        r"""Sparse demand × site matrix of network distances up to ``threshold_m``.

        One bounded Dijkstra per distinct site node, run in compiled code on batches of nearby
        sites. When every edge is at least as long as the straight line between its ends (true
        for networks read from OSM, where lengths are measured along the geometry), a path of
        length :math:`\le t` never leaves the disc of radius :math:`t` around its start, so each
        batch searches only the subgraph induced by the nodes within :math:`t` (straight line) of
        its sites – exact, and far cheaper than searching the whole city. Otherwise batches of
        whole-graph searches are used (``chunk_bytes`` of memory each).

        As in :meth:`geo.distance.StraightLineEngine.within`, a stored entry is the distance +
        1e-9 (so a zero distance stays stored): stored means within ``threshold_m``, missing
        means farther or unreachable.

        Parameters
        ----------
        site_xy
            ``(m, 2)`` site coordinates.
        threshold_m
            Largest distance kept, metres.
        batch_size
            Sites per local search.
        chunk_bytes
            Memory per batch when whole-graph searches are needed.

        Returns
        -------
        scipy.sparse.csr_array
            Shape ``(n_demand, m)``, float64 metres.

        """
        max_m = float(threshold_m)
        net = self.network
        snap = self.snap_sites(site_xy)
        m = len(snap.node)
        n_demand = len(self.demand_xy)
        usable = np.flatnonzero(snap.on_network & (snap.snap_m <= max_m))
        unique_nodes, inverse = np.unique(snap.node[usable], return_inverse=True)
        by_node = np.argsort(inverse, kind="stable")
        first = np.searchsorted(inverse[by_node], np.arange(len(unique_nodes) + 1))
        demand_ok = np.flatnonzero(self.demand_on_network & (self.demand_snap_m <= max_m))
        local = net.lengths_cover_straight_line
        if local:
            cell = max(2.0 * max_m, 1.0)
            ux, uy = net.x[unique_nodes], net.y[unique_nodes]
            order = np.lexsort((np.floor(ux / cell), np.floor(uy / cell)))
            size = max(1, int(batch_size))
        else:
            order = np.arange(len(unique_nodes))
            size = max(1, int(chunk_bytes // (8 * max(net.n_nodes, 1))))
        local_of = np.full(net.n_nodes, -1, dtype=np.int64)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            nodes_batch = unique_nodes[batch]
            if local:
                ball = net.tree.query_ball_point(net.xy[nodes_batch], r=max_m, return_sorted=False)
                sub_nodes = np.unique(np.concatenate([np.asarray(b, dtype=np.int64) for b in ball]))
                graph = net.csr[sub_nodes][:, sub_nodes]
                local_of[sub_nodes] = np.arange(len(sub_nodes))
                sources = local_of[nodes_batch]
                dem = demand_ok[local_of[self.demand_node[demand_ok]] >= 0]
                dem_node = local_of[self.demand_node[dem]]
                local_of[sub_nodes] = -1
            else:
                graph, sources = net.csr, nodes_batch
                dem, dem_node = demand_ok, self.demand_node[demand_ok]
            node_dist = np.atleast_2d(
                dijkstra(graph, directed=True, indices=sources.astype(np.int32), limit=max_m)
            )
            path = node_dist[:, dem_node] + self.demand_snap_m[dem]
            for k, u in enumerate(batch):
                for site_pos in usable[by_node[first[u] : first[u + 1]]]:
                    total = path[k] + snap.snap_m[site_pos]
                    hit = np.flatnonzero(total <= max_m)
                    rows.append(dem[hit])
                    cols.append(np.full(len(hit), site_pos, dtype=np.int64))
                    vals.append(total[hit] + 1e-9)
        if rows:
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        order_rc = np.lexsort((c, r))
        r, c, v = r[order_rc], c[order_rc], v[order_rc]
        indptr = np.zeros(n_demand + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n_demand), out=indptr[1:])
        return sp.csr_array((v, c, indptr), shape=(n_demand, m))


def nearest_by_category(
    engine: DistanceEngine,
    services: gpd.GeoDataFrame,
    categories: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Metres from every demand point to the nearest located service of each category.

    One multi-source search per category (compiled Dijkstra for a :class:`NetworkEngine`, a
    KD-tree for straight lines); ``inf`` where a category has no reachable service.

    Parameters
    ----------
    engine
        Any distance engine.
    services
        Service registry with ``category`` and point geometry.
    categories
        Categories to include; default every category present among located services.

    Returns
    -------
    pandas.DataFrame
        One row per demand point, one column per category slug; ``attrs["distance_note"]``.

    """
    import pandas as pd

    from geo.services import located, site_xy

    placed = located(services)
    cats = list(categories) if categories is not None else sorted(placed["category"].unique())
    out = pd.DataFrame(
        {cat: engine.nearest(site_xy(placed[placed["category"] == cat])) for cat in cats},
        index=pd.RangeIndex(len(engine.demand_xy)),
    )
    out.attrs["distance_note"] = getattr(engine, "note", "")
    return out


# ---------------------------------------------------------------------- finding the network
def network_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for a walking network, in order.

    With an explicit ``data_dir`` only ``<data_dir>/network``; otherwise
    ``settings.data_dir()/network``, the project's ``data/network`` and
    ``settings.cache_dir()/network`` (where ``oslo-coverage fetch walk_network`` writes).
    """
    if data_dir is not None:
        return [Path(data_dir) / NETWORK_SUBDIR]
    dirs = [
        settings.data_dir() / NETWORK_SUBDIR,
        settings.project_data_dir() / NETWORK_SUBDIR,
        settings.cache_dir() / NETWORK_SUBDIR,
    ]
    return list(dict.fromkeys(dirs))


def _cache_target(data_dir: str | Path | None) -> Path:
    # Reference data (../shared/data) is read-only for us: the cache goes to the project's data/.
    if data_dir is not None:
        return Path(data_dir) / NETWORK_SUBDIR / CACHE_NAME
    return settings.project_data_dir() / NETWORK_SUBDIR / CACHE_NAME


def _find_source(folder: Path) -> Path | None:
    graphml = folder / GRAPHML_NAME
    if graphml.is_file():
        return graphml
    others = sorted(folder.glob("*.graphml"))
    if others:
        return others[0]
    for pattern in OSM_PATTERNS:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _read_source(path: Path, max_segment_m: float) -> WalkNetwork:
    if path.suffix == ".graphml":
        return WalkNetwork.from_graphml(path, max_segment_m)
    return WalkNetwork.from_osm_xml(path, max_segment_m)


def load_walk_network(
    data_dir: str | Path | None = None,
    *,
    allow_download: bool = False,
    max_segment_m: float = DEFAULT_MAX_SEGMENT_M,
    write_cache: bool = True,
) -> WalkNetwork | None:
    """Load Oslo's walking network from the cache, a GraphML file or an OSM XML extract.

    Parameters
    ----------
    data_dir
        Folder whose ``network/`` subfolder holds the files; default: searched as in
        :func:`network_dirs`.
    allow_download
        If nothing is found, download it with osmnx (needs internet).
    max_segment_m
        Densification for GraphML/OSM sources (see :meth:`WalkNetwork.from_networkx`).
    write_cache
        Write ``oslo_walk.npz`` after reading a GraphML/OSM source or downloading.

    Returns
    -------
    WalkNetwork or None
        ``None`` when no network is available (the caller falls back to straight lines and says
        so, see :func:`distance_engine`).

    """
    for folder in network_dirs(data_dir):
        source = _find_source(folder) if folder.is_dir() else None
        cache = folder / CACHE_NAME
        target = cache if data_dir is not None else _cache_target(None)
        # a cache made from this folder's source may live in the project's data/network
        for candidate in dict.fromkeys([cache, target] if source is not None else [cache]):
            if candidate.is_file() and (
                source is None or candidate.stat().st_mtime >= source.stat().st_mtime
            ):
                try:
                    return WalkNetwork.load(candidate)
                except (OSError, ValueError, KeyError) as exc:
                    logger.warning("Gangnett-cachen %s kunne ikke leses: %s", candidate, exc)
        if source is not None:
            net = _read_source(source, max_segment_m)
            if write_cache:
                _try_save(net, target)
            return net
    if allow_download:
        return WalkNetwork.load(download_walk_network(data_dir, max_segment_m=max_segment_m))
    return None


def _try_save(net: WalkNetwork, path: Path) -> None:
    try:
        net.save(path)
    except OSError as exc:  # a read-only data folder must not stop the analysis
        logger.warning("Kunne ikke skrive gangnett-cache %s: %s", path, exc)


def oslo_polygon(data_dir: str | Path | None = None) -> Any:
    """Oslo kommune's outline (union of the bydeler) in EPSG:4326, for the osmnx download."""
    import geopandas as gpd

    from geo import boundaries

    bydeler = boundaries.load_bydeler(data_dir=data_dir)
    outline = gpd.GeoSeries([bydeler.union_all()], crs=bydeler.crs).to_crs(settings.DISPLAY_CRS)
    return outline.iloc[0]


def download_walk_network(
    target: str | Path | None = None,
    polygon: Any = None,
    max_segment_m: float = DEFAULT_MAX_SEGMENT_M,
    data_dir: str | Path | None = None,
) -> Path:
    """Download the walking network for Oslo with osmnx and cache it (needs internet).

    ``osmnx.graph_from_polygon(polygon, network_type="walk")`` → project to EPSG:25832 →
    ``oslo_walk.graphml`` (for other tools) and ``oslo_walk.npz`` (for this package), side by side.

    Parameters
    ----------
    target
        The ``.npz`` file to write, or a folder (then ``<folder>/network/oslo_walk.npz``);
        default the project's ``data/network/oslo_walk.npz``.
    polygon
        Area in EPSG:4326; default Oslo's outline from the bydel boundaries (``data_dir``).
    max_segment_m
        Densification, see :meth:`WalkNetwork.from_networkx`.
    data_dir
        Where the bydel boundaries are read from.

    Returns
    -------
    pathlib.Path
        The written ``.npz`` cache.

    Raises
    ------
    NetworkUnavailableError
        When the download fails (no internet, Overpass down).

    """
    import osmnx as ox

    if target is None:
        path = _cache_target(None)
    elif Path(target).suffix == ".npz":
        path = Path(target)
    else:
        path = _cache_target(target)
    if polygon is None:
        polygon = oslo_polygon(data_dir)
    try:
        graph = ox.graph_from_polygon(polygon, network_type="walk")
    except Exception as exc:  # osmnx raises many types (requests, InsufficientResponseError…)
        raise NetworkUnavailableError(
            f"Kunne ikke laste ned gangnettet fra OpenStreetMap: {exc}"
        ) from exc
    graph = ox.project_graph(graph, to_crs=settings.ANALYSIS_CRS)
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, path.with_name(GRAPHML_NAME))
    net = WalkNetwork.from_networkx(
        graph, max_segment_m=max_segment_m, source="OpenStreetMap (osmnx)"
    )
    return net.save(path)


def distance_engine(
    demand_xy: np.ndarray,
    distance: str = "network",
    *,
    network: WalkNetwork | None = None,
    data_dir: str | Path | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    off_network: str = "unreachable",
) -> tuple[DistanceEngine, str]:
    """Return a distance engine and the note every output must show about it.

    Gangnett eller luftlinje: med ``distance="network"`` brukes gangnettet hvis det finnes;
    ellers brukes luftlinje, og merknaden sier det («Gangnett ikke tilgjengelig – avstander er
    luftlinje»). With ``distance="network"`` the walking network is used when available; otherwise
    straight-line distance is used and the note says so ("Walking network not available –
    distances are straight-line"). The fallback is never silent.

    Parameters
    ----------
    demand_xy
        ``(n, 2)`` demand point coordinates, EPSG:25832.
    distance
        ``"network"`` or ``"straight"``.
    network
        An already loaded network; default :func:`load_walk_network` (``data_dir``).
    data_dir
        Passed to :func:`load_walk_network`.
    max_snap_m, off_network
        See :class:`NetworkEngine`.
    speed_kmh
        Walking speed stated in the note.

    Returns
    -------
    (engine, note)
        ``engine.kind`` is ``"network"`` or ``"straight"``; ``note`` is bokmål text for outputs.

    """
    from geo.distance import StraightLineEngine

    speed = _format_speed(speed_kmh)
    if distance not in {"network", "straight"}:
        raise ValueError(f"Ukjent avstandstype «{distance}» (bruk network eller straight).")
    if distance == "straight":
        straight = StraightLineEngine(demand_xy)
        straight.note = NOTE_STRAIGHT.format(speed=speed)
        return straight, straight.note
    reason = "fant ingen gangnett-cache, GraphML- eller OSM-fil i network-mappen"
    if network is None:
        try:
            network = load_walk_network(data_dir)
        except (OSError, ValueError, SyntaxError) as exc:  # SyntaxError: broken OSM XML
            network, reason = None, f"gangnettet kunne ikke leses: {exc}"
    if network is None:
        fallback = StraightLineEngine(demand_xy)
        fallback.note = NOTE_FALLBACK.format(speed=speed, reason=reason)
        return fallback, fallback.note
    engine = NetworkEngine(network, demand_xy, max_snap_m=max_snap_m, off_network=off_network)
    engine.note = NOTE_NETWORK.format(speed=speed) + engine.note[len(NOTE_ENGINE) :]
    return engine, engine.note


def _format_speed(speed_kmh: float) -> str:
    return f"{speed_kmh:g}".replace(".", ",")


# ---------------------------------------------------------------------- isochrones
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


# ---------------------------------------------------------------------- synthetic test graph
def grid_network(
    n_cols: int,
    n_rows: int,
    spacing_m: float = 50.0,
    origin: tuple[float, float] = (590_000.0, 6_640_000.0),
) -> WalkNetwork:
    """Build a square lattice of streets (for benchmarks and tests, clearly not Oslo).

    Node ``r * n_cols + c`` sits at ``origin + (c, r) * spacing_m``.
    """
    idx = np.arange(n_cols * n_rows).reshape(n_rows, n_cols)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    x = origin[0] + cols.ravel() * spacing_m
    y = origin[1] + rows.ravel() * spacing_m
    return WalkNetwork.from_edges(
        x, y, u, v, np.full(len(u), spacing_m), source="syntetisk rutenett"
    )


# ---------------------------------------------------------------------- CLI
def walking_engine(
    demand_xy: np.ndarray,
    data_dir: str | Path | None = None,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    off_network: str = "unreachable",
) -> DistanceEngine:
    """Walking-network engine, or the straight-line fallback; ``engine.note`` says which.

    Used by ``geo.cli.make_engine`` for ``--distance network``; see :func:`distance_engine`.
    """
    engine, _ = distance_engine(
        demand_xy,
        "network",
        data_dir=data_dir,
        max_snap_m=max_snap_m,
        speed_kmh=speed_kmh,
        off_network=off_network,
    )
    return engine


def add_cli(subparsers: Any) -> None:
    """Register the ``network-cache`` and ``isochrones`` subcommands."""
    p = subparsers.add_parser(
        "network-cache",
        help="bygg gangnett-cachen (network/oslo_walk.npz) fra GraphML/OSM-fil eller nedlasting",
    )
    p.add_argument("--data-dir", help="mappe med network/-undermappe")
    p.add_argument(
        "--download", action="store_true", help="last ned fra OpenStreetMap (krever internett)"
    )
    p.set_defaults(func=_cli_network_cache)

    q = subparsers.add_parser(
        "isochrones", help="gangavstandsområder rundt lokasjoner (GeoJSON eller GPKG)"
    )
    q.add_argument(
        "sites", help="fil med lokasjoner (CSV/XLSX/GeoJSON/GPKG, samme skjema som tilbud)"
    )
    q.add_argument("--meters", type=float, nargs="*", help="terskler i meter, f.eks. 500")
    q.add_argument("--minutes", type=float, nargs="*", help="terskler i gangminutter, f.eks. 10 15")
    add_distance_arguments(q)
    q.add_argument("--buffer", type=float, default=DEFAULT_ISOCHRONE_BUFFER_M, help="korridor (m)")
    q.add_argument("--data-dir", help="mappe med network/-undermappe")
    q.add_argument(
        "--out", required=True, help="utfil (.geojson i EPSG:4326 eller .gpkg i EPSG:25832)"
    )
    q.set_defaults(func=_cli_isochrones)


def add_distance_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--distance network|straight`` (default network) and ``--speed``."""
    parser.add_argument(
        "--distance",
        choices=["network", "straight"],
        default="network",
        help="gangnett (luftlinje med merknad hvis gangnett mangler) eller luftlinje",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=settings.DEFAULT_WALK_SPEED_KMH,
        help="ganghastighet i km/t (standard 4,5)",
    )


def _cli_network_cache(args: argparse.Namespace) -> int:
    try:
        net = load_walk_network(args.data_dir, allow_download=args.download)
    except NetworkUnavailableError as exc:
        print(exc)
        return 1
    if net is None:
        folders = ", ".join(str(p) for p in network_dirs(args.data_dir))
        print(f"Fant ikke gangnett i {folders}. Legg inn en OSM-fil eller bruk --download.")
        return 2
    print(f"Gangnett: {net.describe()}")
    return 0


def _cli_isochrones(args: argparse.Namespace) -> int:
    from geo.services import load_candidates

    loaded = load_candidates(args.sites)  # raises geo.io.InputError (exit 2) on unusable files
    for problem in loaded.problems:
        print(problem)
    frame = loaded.frame
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs(settings.ANALYSIS_CRS)
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    id_col = next((c for c in ("name", "id") if c in frame.columns), None)
    ids = frame[id_col].tolist() if id_col else list(range(len(frame)))
    speed = _format_speed(args.speed)
    network = load_walk_network(args.data_dir) if args.distance == "network" else None
    if network is None:
        note = (
            NOTE_FALLBACK.format(speed=speed, reason="fant ikke gangnett")
            if args.distance == "network"
            else NOTE_STRAIGHT.format(speed=speed)
        )
        out = straight_isochrones(
            xy, args.meters, minutes=args.minutes, site_ids=ids, speed_kmh=args.speed
        )
    else:
        note = NOTE_NETWORK.format(speed=speed)
        out = isochrones(
            network,
            xy,
            args.meters,
            minutes=args.minutes,
            site_ids=ids,
            speed_kmh=args.speed,
            buffer_m=args.buffer,
        )
    out["note"] = note
    print(note)
    path = Path(args.out)
    if path.suffix == ".gpkg":
        out.to_file(path, driver="GPKG")
    else:  # GeoJSON is longitude/latitude by specification
        out.to_crs(settings.DISPLAY_CRS).to_file(path, driver="GeoJSON")
    print(f"Skrev {len(out)} områder til {path}")
    return 0
