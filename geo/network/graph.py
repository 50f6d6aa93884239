r"""The walking network as a compact undirected graph in EPSG:25832: building, cache, snapping.

Straight lines cross the Akerselva, the railway yards and the fjord; a planner needs walking
distance. This module keeps Oslo's pedestrian network (OpenStreetMap, osmnx ``network_type="walk"``)
as a compact, undirected graph in EPSG:25832 and answers distance questions with compiled
shortest-path routines (:func:`scipy.sparse.csgraph.dijkstra`), never with a Python loop over
networkx.

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

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo import settings
from geo.labels import format_count
from geo.network.osm import project
from geo.network.osm_report import OsmStreets

__all__ = [
    "CACHE_FORMAT_VERSION",
    "DEFAULT_MAX_SEGMENT_M",
    "DEFAULT_MAX_SNAP_M",
    "Snap",
    "WalkNetwork",
    "grid_network",
]


CACHE_FORMAT_VERSION = 2


DEFAULT_MAX_SNAP_M = 300.0
"""Points farther than this from the walking network are treated as unreachable on foot."""


DEFAULT_MAX_SEGMENT_M = 50.0
"""Longer edges are split so that snapping to the nearest node is never more than 25 m off."""


@dataclass(eq=False)  # compared and hashed by identity: caches are keyed by the network
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
        import osmnx as ox  # osmnx only for GraphML input: loaded when it is used

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
        skipped = 0
        for a, b, data in graph.edges(data=True):
            ia, ib = pos[a], pos[b]
            geom = data.get("geometry")
            if geom is None:
                geom = shapely.LineString([(node_x[ia], node_y[ia]), (node_x[ib], node_y[ib])])
            if ia == ib or shapely.get_num_coordinates(geom) < 2 or not geom.length > 0:
                skipped += 1  # self-loops and degenerate geometries carry no walk
                continue
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
        net = _densified(node_x, node_y, node_ids, keys, geoms, max_segment_m, source)
        net.meta["report"] = [f"{skipped} selvløkker eller kanter uten lengde er hoppet over."]
        return net

    @classmethod
    def from_streets(
        cls, streets: OsmStreets, max_segment_m: float = DEFAULT_MAX_SEGMENT_M, source: str = ""
    ) -> WalkNetwork:
        """Build the network from OpenStreetMap streets read by :func:`geo.network.osm.read_osm`.

        Only the largest connected part is kept (as osmnx does): a footway that joins nothing
        would make its neighbours unreachable from every service. The streets are projected to
        EPSG:25832 and no straight piece is longer than ``max_segment_m``; what the reader left
        out and what was dropped here is listed in ``meta["report"]``.
        """
        x, y = project(streets, settings.ANALYSIS_CRS)
        keep = streets.component == 0
        position = np.cumsum(keep) - 1
        edge_keep = keep[streets.edge_u] & keep[streets.edge_v]
        u = position[streets.edge_u[edge_keep]]
        v = position[streets.edge_v[edge_keep]]
        node_x, node_y = x[keep], y[keep]
        ends = np.stack([np.c_[node_x[u], node_y[u]], np.c_[node_x[v], node_y[v]]], axis=1)
        net = _densified(
            node_x,
            node_y,
            streets.node_id[keep].astype(np.int64),
            np.c_[u, v].astype(np.int64),
            shapely.linestrings(ends),
            max_segment_m,
            source or ", ".join(streets.report.files),
        )
        n_parts = int(streets.component.max()) if len(streets.component) else 0
        dropped = int((~keep).sum())
        net.meta["report"] = [
            *streets.report.lines(),
            f"Brukt: den største sammenhengende delen av nettet ({format_count(int(keep.sum()))} "
            f"noder); {format_count(dropped)} noder i {n_parts} mindre, frittstående deler er tatt ut.",
        ]
        return net

    @classmethod
    def from_graphml(
        cls, path: str | Path, max_segment_m: float = DEFAULT_MAX_SEGMENT_M
    ) -> WalkNetwork:
        """Read a graph saved with ``osmnx.save_graphml`` (any CRS; projected here)."""
        import osmnx as ox

        graph = ox.load_graphml(Path(path))
        return cls.from_networkx(graph, max_segment_m=max_segment_m, source=Path(path).name)

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
            signature=np.str_(self.meta.get("signature", "")),
            report=np.str_(json.dumps(self.meta.get("report", []), ensure_ascii=False)),
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
                    "signature": str(data["signature"]),
                    "report": json.loads(str(data["report"])),
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
        source = self.source or "gangnett"
        return f"{source}: {format_count(self.n_nodes)} noder, {format_count(self.n_edges)} kanter"


@dataclass(frozen=True)
class Snap:
    """Result of :meth:`WalkNetwork.snap`: nearest node, distance to it, and whether it counts."""

    node: np.ndarray
    snap_m: np.ndarray
    on_network: np.ndarray


def _densified(
    node_x: np.ndarray,
    node_y: np.ndarray,
    node_ids: np.ndarray,
    keys: np.ndarray,
    geoms: np.ndarray,
    max_segment_m: float,
    source: str,
) -> WalkNetwork:
    """A network from edge geometries between nodes, split into pieces of at most ``max_segment_m``.

    ``keys`` holds the two end nodes of each geometry (positions into the node arrays); the inner
    vertices become nodes with negative ids. Lengths are measured along the pieces, so an edge
    keeps the length of its geometry.
    """
    if max_segment_m and np.isfinite(max_segment_m):
        geoms = shapely.segmentize(geoms, max_segment_m)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    # the first and last vertex of an edge are its end nodes, the rest are new nodes
    starts = np.r_[0, np.flatnonzero(np.diff(which)) + 1]
    ends = np.r_[starts[1:] - 1, len(which) - 1]
    is_inner = np.ones(len(which), dtype=bool)
    is_inner[starts] = False
    is_inner[ends] = False
    vertex_node = np.empty(len(which), dtype=np.int64)
    vertex_node[starts] = keys[:, 0]
    vertex_node[ends] = keys[:, 1]
    n_inner = int(is_inner.sum())
    vertex_node[is_inner] = len(node_x) + np.arange(n_inner)
    all_x = np.r_[node_x, coords[is_inner, 0]]
    all_y = np.r_[node_y, coords[is_inner, 1]]
    # snap the end vertices onto their node (geometry ends can differ by float noise)
    coords[starts] = np.c_[node_x[keys[:, 0]], node_y[keys[:, 0]]]
    coords[ends] = np.c_[node_x[keys[:, 1]], node_y[keys[:, 1]]]
    same_edge = which[1:] == which[:-1]
    seg_u = vertex_node[:-1][same_edge]
    seg_v = vertex_node[1:][same_edge]
    seg_len = np.hypot(*(coords[1:][same_edge] - coords[:-1][same_edge]).T)
    all_ids = np.r_[node_ids, -(np.arange(n_inner, dtype=np.int64) + 1)]
    net = WalkNetwork.from_edges(
        all_x, all_y, seg_u, seg_v, seg_len, node_id=all_ids, source=source
    )
    net.meta["max_segment_m"] = float(max_segment_m or 0.0)
    return net


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
