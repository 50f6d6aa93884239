"""The walking-distance engine: snapping demand and sites, network distances, coverage matrices."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.data.services import located
from geo.distance import DistanceEngine
from geo.geom import xy_of
from geo.labels import NOTE_ENGINE, NOTE_OFF_NETWORK, NOTE_OFF_NETWORK_WALK
from geo.network.graph import DEFAULT_MAX_SNAP_M, Snap, WalkNetwork
from geo.network.paths import map_positions, multi_source_dijkstra

__all__ = [
    "NetworkEngine",
    "nearest_by_category",
]


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

    placed = located(services)
    cats = list(categories) if categories is not None else sorted(placed["category"].unique())
    out = pd.DataFrame(
        {cat: engine.nearest(xy_of(placed[placed["category"] == cat])) for cat in cats},
        index=pd.RangeIndex(len(engine.demand_xy)),
    )
    out.attrs["distance_note"] = getattr(engine, "note", "")
    return out
