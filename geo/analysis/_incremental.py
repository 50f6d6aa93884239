"""Incremental nearest-site state for what-if scenarios: network, straight-line and full backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.distance import DistanceEngine
from geo.network.engine import NetworkEngine
from geo.network.mixed import MixedEngine
from geo.network.paths import map_positions, multi_source_dijkstra

__all__ = [
    "Backend",
    "FullBackend",
    "PairState",
    "backend",
]


@dataclass
class _State:
    """Nearest-site distance and site position per node (network node or demand point)."""

    dist: np.ndarray
    site: np.ndarray

    def copy(self) -> _State:
        return _State(self.dist.copy(), self.site.copy())


@dataclass
class _Sites:
    """All sites ever seen by a what-if: baseline rows first, then added ones."""

    xy: np.ndarray
    node: np.ndarray
    offset: np.ndarray
    usable: np.ndarray

    def extend(
        self, xy: np.ndarray, node: np.ndarray, offset: np.ndarray, usable: np.ndarray
    ) -> _Sites:
        return _Sites(
            np.vstack([self.xy, xy]),
            np.r_[self.node, node],
            np.r_[self.offset, offset],
            np.r_[self.usable, usable],
        )


_SLACK_M = 1e-6  # rounding in stored lengths; a node a micrometre off the bound stays in


class _NetworkBackend:
    """Incremental nearest-site distances on the walking network (state per network node)."""

    def __init__(self, engine: NetworkEngine) -> None:
        self.engine = engine
        self.csr = engine.network.csr
        self.max_edge = engine.network.max_incident_length
        self.straight_bound = engine.network.lengths_cover_straight_line
        self.x, self.y = engine.network.x, engine.network.y
        self.edge_u = engine.network.edge_u
        self.edge_v = engine.network.edge_v
        self.edge_length = engine.network.edge_length

    def sites(self, xy: np.ndarray) -> _Sites:
        snap = self.engine.snap_sites(xy)
        return _Sites(np.asarray(xy, float).reshape(-1, 2), snap.node, snap.snap_m, snap.on_network)

    def full(self, sites: _Sites, active: np.ndarray) -> _State:
        use = np.flatnonzero(active & sites.usable)
        dist, src = multi_source_dijkstra(self.csr, sites.node[use], sites.offset[use])
        return _State(dist, map_positions(use, src))

    def add(self, state: _State, sites: _Sites, pos: int) -> None:
        r"""Add site ``pos``: one search over the only nodes it can improve.

        A node *v* improves when :math:`o + \delta(a, v) < D(v)`, and every node on the shortest
        path from the new node *a* to an improved node is itself improved (triangle inequality).
        When no edge is shorter than the straight line between its ends,
        :math:`\delta(a, v) \ge \lVert a - v \rVert`, so every improved node lies in

        .. math::

            C = \{\, v : \lVert a - v \rVert < D(v) - o \,\}

        and so do their shortest paths: one Dijkstra on the subgraph of :math:`C` is exact. On
        other networks the search radius starts at :math:`D(a) - o` and grows until no edge
        leaves the search towards a node it would improve. If :math:`D(a) \le o` nothing can
        improve and no search is run.
        """
        if not sites.usable[pos]:
            return
        node, offset = int(sites.node[pos]), float(sites.offset[pos])
        if state.dist[node] <= offset:
            return
        search = self._bounded_search if self.straight_bound else self._growing_search
        nodes, reach = search(state, node, offset)
        improves = offset + reach < state.dist[nodes]
        better = nodes[improves]
        state.dist[better] = offset + reach[improves]
        state.site[better] = pos

    def _bounded_search(
        self, state: _State, node: int, offset: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances from ``node`` within :math:`C` (the nodes it could improve), on that subgraph."""
        # squared straight-line gap against the squared bound: no square root per node
        gap2 = np.square(self.x - self.x[node]) + np.square(self.y - self.y[node])
        bound = np.maximum(state.dist - offset + _SLACK_M, 0.0)
        candidates = np.flatnonzero(gap2 < np.square(bound))
        sub = self.csr[candidates][:, candidates]
        local = dijkstra(sub, directed=True, indices=int(np.searchsorted(candidates, node)))
        return candidates, local

    def _growing_search(
        self, state: _State, node: int, offset: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances from ``node`` to every node, searched out until nothing beyond improves."""
        limit = state.dist[node] - offset
        limit = max(limit, 2.0 * float(self.max_edge[node]), 1.0) if np.isfinite(limit) else np.inf
        while True:
            reach = dijkstra(self.csr, directed=True, indices=node, limit=limit)
            improves = offset + reach < state.dist
            if not np.isfinite(limit) or not self._leaves_search(state, reach, improves, offset):
                break
            limit *= 2.0
        return np.arange(len(reach)), reach

    def _leaves_search(
        self, state: _State, reach: np.ndarray, improves: np.ndarray, offset: float
    ) -> bool:
        """Whether an edge from an improved node leads outside the search to a node it improves."""
        u, v, w = self.edge_u, self.edge_v, self.edge_length
        out_uv = improves[u] & np.isinf(reach[v])
        out_vu = improves[v] & np.isinf(reach[u])
        return bool(
            np.any(offset + reach[u[out_uv]] + w[out_uv] < state.dist[v[out_uv]])
            or np.any(offset + reach[v[out_vu]] + w[out_vu] < state.dist[u[out_vu]])
        )

    def remove(self, state: _State, sites: _Sites, active: np.ndarray, removed: np.ndarray) -> None:
        r"""Remove sites: recompute only the nodes they served, seeded from the area's border.

        Let :math:`C` be the nodes whose nearest site was removed. A node outside :math:`C` keeps
        its distance. A shortest path from a remaining site into :math:`C` either starts inside
        :math:`C` (a remaining site snapped there) or enters it last from a border node
        :math:`b \notin C` whose distance :math:`D(b)` is unchanged; so a multi-source Dijkstra
        on :math:`C \cup B` from the border nodes (starting at :math:`D(b)`) and the remaining
        sites inside :math:`C` gives the exact new distances.
        """
        in_area = np.isin(state.site, removed)
        area = np.flatnonzero(in_area)
        if len(area) == 0:
            return
        neighbours = self.csr[area].indices
        border = np.unique(neighbours[~in_area[neighbours]])
        border = border[state.site[border] >= 0]
        local = np.concatenate([area, border])
        sub = self.csr[local][:, local]
        local_of = np.full(len(state.dist), -1, dtype=np.int64)
        local_of[area] = np.arange(len(area))
        inside = np.flatnonzero(active & sites.usable & (local_of[sites.node] >= 0))
        inside = inside[~np.isin(inside, removed)]
        src_local = np.r_[len(area) + np.arange(len(border)), local_of[sites.node[inside]]]
        src_offset = np.r_[state.dist[border], sites.offset[inside]]
        src_site = np.r_[state.site[border], inside]
        dist, src = multi_source_dijkstra(sub.tocsr(), src_local, src_offset)
        state.dist[area] = dist[: len(area)]
        origin = src[: len(area)]
        state.site[area] = map_positions(src_site, origin)

    def demand(self, state: _State) -> tuple[np.ndarray, np.ndarray]:
        return self.engine.demand_from_nodes(state.dist, state.site)


class _StraightBackend:
    """Incremental straight-line distances (state per demand point)."""

    def __init__(self, demand_xy: np.ndarray) -> None:
        self.demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)

    def sites(self, xy: np.ndarray) -> _Sites:
        pts = np.asarray(xy, float).reshape(-1, 2)
        ok = np.all(np.isfinite(pts), axis=1)
        return _Sites(pts, np.zeros(len(pts), np.int64), np.zeros(len(pts)), ok)

    def _query(self, sites: _Sites, use: np.ndarray, points: np.ndarray) -> _State:
        if len(use) == 0:
            return _State(np.full(len(points), np.inf), np.full(len(points), -1, dtype=np.int64))
        dist, k = cKDTree(sites.xy[use]).query(self.demand_xy[points])
        return _State(np.asarray(dist, float), use[np.asarray(k, dtype=np.int64)])

    def full(self, sites: _Sites, active: np.ndarray) -> _State:
        return self._query(
            sites, np.flatnonzero(active & sites.usable), np.arange(len(self.demand_xy))
        )

    def add(self, state: _State, sites: _Sites, pos: int) -> None:
        if not sites.usable[pos]:
            return
        d = np.hypot(*(self.demand_xy - sites.xy[pos]).T)
        better = d < state.dist
        state.dist[better] = d[better]
        state.site[better] = pos

    def remove(self, state: _State, sites: _Sites, active: np.ndarray, removed: np.ndarray) -> None:
        area = np.flatnonzero(np.isin(state.site, removed))
        if len(area):
            fresh = self._query(sites, np.flatnonzero(active & sites.usable), area)
            state.dist[area], state.site[area] = fresh.dist, fresh.site

    def demand(self, state: _State) -> tuple[np.ndarray, np.ndarray]:
        return state.dist.copy(), state.site.copy()


class FullBackend:
    """Any other :class:`~geo.distance.DistanceEngine`: recompute from scratch every time."""

    def __init__(self, engine: DistanceEngine) -> None:
        self.engine = engine

    def sites(self, xy: np.ndarray) -> _Sites:
        pts = np.asarray(xy, float).reshape(-1, 2)
        return _Sites(
            pts, np.zeros(len(pts), np.int64), np.zeros(len(pts)), np.ones(len(pts), bool)
        )

    def full(self, sites: _Sites, active: np.ndarray) -> _State:
        use = np.flatnonzero(active & sites.usable)
        dist, k = self.engine.nearest_with_index(sites.xy[use])
        k = np.asarray(k, dtype=np.int64)
        return _State(np.asarray(dist, float), map_positions(use, k))

    def add(self, state: _State, sites: _Sites, pos: int) -> None:
        """Nothing incremental: :meth:`WhatIf.scenario` recomputes with :meth:`full`."""

    def remove(self, state: _State, sites: _Sites, active: np.ndarray, removed: np.ndarray) -> None:
        """Nothing incremental: :meth:`WhatIf.scenario` recomputes with :meth:`full`."""

    def demand(self, state: _State) -> tuple[np.ndarray, np.ndarray]:
        return state.dist.copy(), state.site.copy()


@dataclass
class PairState:
    """The network and the straight-line state of a :class:`~geo.network.mixed.MixedEngine`."""

    network: _State
    straight: _State

    def copy(self) -> PairState:
        return PairState(self.network.copy(), self.straight.copy())


class _MixedBackend:
    """Both backends side by side; each demand point takes its own measure (:meth:`MixedEngine.combine`)."""

    def __init__(self, engine: MixedEngine) -> None:
        self.engine = engine
        self.net = _NetworkBackend(engine.network_engine)
        self.line = _StraightBackend(engine.demand_xy)

    def sites(self, xy: np.ndarray) -> _Sites:
        return self.net.sites(xy)

    @staticmethod
    def _line_sites(sites: _Sites) -> _Sites:
        """The same sites for straight lines: usable wherever their coordinates are numbers."""
        usable = np.all(np.isfinite(sites.xy), axis=1)
        return _Sites(sites.xy, sites.node, sites.offset, usable)

    def full(self, sites: _Sites, active: np.ndarray) -> PairState:
        return PairState(
            self.net.full(sites, active), self.line.full(self._line_sites(sites), active)
        )

    def add(self, state: PairState, sites: _Sites, pos: int) -> None:
        self.net.add(state.network, sites, pos)
        self.line.add(state.straight, self._line_sites(sites), pos)

    def remove(
        self, state: PairState, sites: _Sites, active: np.ndarray, removed: np.ndarray
    ) -> None:
        self.net.remove(state.network, sites, active, removed)
        self.line.remove(state.straight, self._line_sites(sites), active, removed)

    def demand(self, state: PairState) -> tuple[np.ndarray, np.ndarray]:
        net_d, net_i = self.net.demand(state.network)
        line_d, line_i = self.line.demand(state.straight)
        return self.engine.combine(net_d, net_i, line_d, line_i)


class Backend(Protocol):
    """What :class:`geo.analysis.whatif.WhatIf` needs of an incremental backend."""

    def sites(self, xy: np.ndarray) -> _Sites: ...

    def full(self, sites: _Sites, active: np.ndarray) -> Any: ...

    def add(self, state: Any, sites: _Sites, pos: int) -> None: ...

    def remove(
        self, state: Any, sites: _Sites, active: np.ndarray, removed: np.ndarray
    ) -> None: ...

    def demand(self, state: Any) -> tuple[np.ndarray, np.ndarray]: ...


def backend(engine: DistanceEngine) -> Backend:
    """The incremental backend for an engine (a full recomputation for unknown engines)."""
    if isinstance(engine, MixedEngine):
        return _MixedBackend(engine)
    if isinstance(engine, NetworkEngine):
        return _NetworkBackend(engine)
    if getattr(engine, "kind", None) == "straight":
        return _StraightBackend(engine.demand_xy)
    return FullBackend(engine)
