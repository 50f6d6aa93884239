r"""What-if analysis: add, move or remove sites and see every bydel's metrics change at once.

A :class:`WhatIf` keeps, for the baseline set of sites, the distance from the nearest site to
every network node (or, with straight-line distance, to every demand point) together with *which*
site that is. A scenario changes only what it can change:

* **adding** a site runs one Dijkstra from the new site, bounded by a radius :math:`L` that is
  doubled until no improved node lies near its edge (exact, see :meth:`_NetworkBackend.add`);
* **removing** a site recomputes only the nodes whose nearest site it was, by a multi-source
  Dijkstra inside that area seeded from its border (exact, see :meth:`_NetworkBackend.remove`);
* **moving** a site is removing it and adding it at the new place.

The per-demand-point distances then go through :func:`geo.metrics.bydel_metrics`, the same function
a full recomputation uses, so a scenario's table equals the table recomputed from scratch.

:meth:`WhatIf.rank_candidates` scores many candidate sites at once by the weight (residents or
user data) they would newly bring within the threshold:

.. math::

    g_j = \sum_i w_i \, [d_i > t] \, [d_{ij} \le t]

computed for all candidates *j* (and per bydel) as one sparse matrix product over the coverage
matrix from :func:`candidate_coverage`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo import settings
from geo.network import NetworkEngine, map_positions, multi_source_dijkstra

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.distance import DistanceEngine

SCENARIO_NAME = "Scenario: ny lokasjon {n}"
SCENARIO_NOTE = "Hypotetisk lokasjon i et scenario (ikke et eksisterende tilbud)."
MOVED_NOTE = "Eksisterende tilbud flyttet til en hypotetisk lokasjon i et scenario."


class UnknownSiteError(KeyError):
    """A site id given to ``remove``/``move`` is not among the baseline sites."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Ukjent lokasjon."


# ---------------------------------------------------------------------- state and backends
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


class _NetworkBackend:
    """Incremental nearest-site distances on the walking network (state per network node)."""

    def __init__(self, engine: NetworkEngine) -> None:
        self.engine = engine
        self.csr = engine.network.csr
        self.max_edge = engine.network.max_incident_length

    def sites(self, xy: np.ndarray) -> _Sites:
        snap = self.engine.snap_sites(xy)
        return _Sites(np.asarray(xy, float).reshape(-1, 2), snap.node, snap.snap_m, snap.on_network)

    def full(self, sites: _Sites, active: np.ndarray) -> _State:
        use = np.flatnonzero(active & sites.usable)
        dist, src = multi_source_dijkstra(self.csr, sites.node[use], sites.offset[use])
        return _State(dist, map_positions(use, src))

    def add(self, state: _State, sites: _Sites, pos: int) -> None:
        r"""Add site ``pos``: bounded Dijkstra from its node, radius doubled until provably enough.

        A node *v* improves when :math:`o + \delta(a, v) < D(v)`. Every node on the shortest path
        from the new node *a* to an improved node is itself improved (triangle inequality), so if
        no improved node *v* within the search radius :math:`L` has
        :math:`\delta(a, v) + \max_e w_e(v) \ge L`, no improved node lies beyond :math:`L`.
        If :math:`D(a) \le o` nothing can improve and no search is run.
        """
        if not sites.usable[pos]:
            return
        node, offset = int(sites.node[pos]), float(sites.offset[pos])
        if state.dist[node] <= offset:
            return
        limit = state.dist[node] - offset
        limit = max(limit, 2.0 * float(self.max_edge[node]), 1.0) if np.isfinite(limit) else np.inf
        while True:
            reach = dijkstra(self.csr, directed=True, indices=node, limit=limit)
            reached = np.flatnonzero(reach < np.inf)
            better = reached[offset + reach[reached] < state.dist[reached]]
            if not np.isfinite(limit) or not np.any(reach[better] + self.max_edge[better] >= limit):
                break
            limit *= 2.0
        state.dist[better] = offset + reach[better]
        state.site[better] = pos

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


class _FullBackend:
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


def _backend(engine: DistanceEngine) -> _NetworkBackend | _StraightBackend | _FullBackend:
    if isinstance(engine, NetworkEngine):
        return _NetworkBackend(engine)
    if getattr(engine, "kind", None) == "straight":
        return _StraightBackend(engine.demand_xy)
    return _FullBackend(engine)


# ---------------------------------------------------------------------- results
@dataclass
class ScenarioResult:
    """Outcome of :meth:`WhatIf.scenario`.

    Attributes
    ----------
    table
        The full per-bydel metric table (:func:`geo.metrics.bydel_metrics`) with the changes.
    diff
        ``scenario - baseline`` per bydel for every numeric metric (``d_<metric>`` columns).
    nearest_m
        Metres from each demand point to its nearest site in the scenario.
    nearest_site
        Row position in :attr:`sites` of that site (``-1`` if none).
    sites
        The scenario's sites: baseline rows that were kept, then the added/moved ones.
    services
        The service registry as the scenario has it (what the table counts).
    elapsed_s
        Seconds used (distances + table).

    """

    table: pd.DataFrame
    diff: pd.DataFrame
    nearest_m: np.ndarray
    nearest_site: np.ndarray
    sites: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    elapsed_s: float = 0.0


@dataclass
class CandidateCoverage:
    """Which demand points each candidate site reaches within the threshold (precomputed once).

    Attributes
    ----------
    matrix
        ``scipy.sparse.csr_array`` of shape (n_demand, n_candidates): stored entry = distance
        + 1e-9 when within ``threshold_m`` (see :meth:`geo.distance.DistanceEngine.within`).
    candidate_xy
        (m, 2) candidate coordinates, EPSG:25832.
    candidate_ids
        One identifier per candidate.
    threshold_m
        The threshold used.
    distance_kind
        ``"network"`` or ``"straight"``.
    elapsed_s
        Seconds the precomputation took.

    """

    matrix: sp.csr_array
    candidate_xy: np.ndarray
    candidate_ids: list[Any]
    threshold_m: float
    distance_kind: str
    elapsed_s: float = 0.0

    def covered(self) -> sp.csr_array:
        """Boolean-valued (0/1 float) copy of :attr:`matrix`."""
        out = self.matrix.copy()
        out.data = np.ones_like(out.data)
        return out


@dataclass
class CandidateRanking:
    """Outcome of :meth:`WhatIf.rank_candidates`.

    Attributes
    ----------
    total
        One row per candidate, best first: ``candidate_id``, ``x``, ``y``, ``new_weight`` (weight
        newly within the threshold), ``new_points`` (demand points newly within), ``rank``.
    by_bydel
        Newly covered weight per candidate (rows, same order as ``total``) and bydel (columns,
        bydel codes).
    elapsed_s
        Seconds for the scoring (excluding the precomputation).

    """

    total: pd.DataFrame
    by_bydel: pd.DataFrame
    elapsed_s: float = 0.0
    attrs: dict[str, Any] = field(default_factory=dict)


def candidate_coverage(
    engine: DistanceEngine,
    candidate_xy: np.ndarray,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    candidate_ids: Sequence[Any] | None = None,
) -> CandidateCoverage:
    """Precompute the demand × candidate coverage matrix (for ranking and for :mod:`geo.siting`).

    With a :class:`~geo.network.NetworkEngine` this is one bounded Dijkstra per distinct
    candidate node; with straight lines a KD-tree ball query. ``.matrix`` can be handed to
    ``geo.siting``'s ``from_cost_matrix`` constructors directly.

    Parameters
    ----------
    engine
        Any distance engine with ``within``.
    candidate_xy
        (m, 2) coordinates in EPSG:25832.
    threshold_m
        Coverage threshold in metres.
    candidate_ids
        Identifiers; default ``0..m-1``.

    """
    start = time.perf_counter()
    xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    ids = list(range(len(xy))) if candidate_ids is None else list(candidate_ids)
    if len(ids) != len(xy):
        raise ValueError("candidate_ids må ha én verdi per kandidat.")
    matrix = sp.csr_array(engine.within(xy, threshold_m))
    return CandidateCoverage(
        matrix, xy, ids, float(threshold_m), engine.kind, time.perf_counter() - start
    )


# ---------------------------------------------------------------------- the what-if engine
class WhatIf:
    """Incremental scenarios on one set of sites, with the per-bydel table after each change.

    Parameters
    ----------
    engine
        Distance engine over ``demand`` (network, straight line, or any other).
    demand
        Demand points: ``bydel_code``, the weight column, geometry (as from
        :func:`geo.population.demand_points`).
    services
        The service registry (all rows; the table counts them).
    bydeler
        Bydel polygons (rows of the table).
    categories
        Categories whose located services are "sites"; all when ``None``.
    threshold_m
        Threshold for the coverage metrics and for ranking.
    weight_column
        Demand weight column (residents, or user data spread by :func:`geo.metrics.spread_user_data`).
    walk_speed_kmh
        For the walking-minute columns.
    id_column
        Service column used to name sites in ``remove``/``move`` (default ``id``; the index when
        the column is missing).
    table_attrs
        Extra ``attrs`` stamped on every table (population note, boundary version …), so exports
        can state them.

    """

    def __init__(
        self,
        engine: DistanceEngine,
        demand: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        bydeler: gpd.GeoDataFrame,
        *,
        categories: list[str] | None = None,
        threshold_m: float = settings.DEFAULT_THRESHOLD_M,
        weight_column: str = "weight",
        walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
        id_column: str = "id",
        table_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        from geo.metrics import with_bydel
        from geo.services import located, site_xy

        start = time.perf_counter()
        if len(engine.demand_xy) != len(demand):
            raise ValueError("Avstandsmotoren og etterspørselspunktene har ulik lengde.")
        self.engine = engine
        self.demand = demand
        self.bydeler = bydeler
        self.categories = list(categories) if categories else None
        self.threshold_m = float(threshold_m)
        self.weight_column = weight_column
        self.walk_speed_kmh = walk_speed_kmh
        self.id_column = id_column
        self.table_attrs = dict(table_attrs or {})
        # bydel of every service once, so a scenario only places its new sites
        self.services = (with_bydel(services, bydeler) if len(services) else services).reset_index(
            drop=True
        )
        self._site_rows = located(self.services, self.categories)
        self._site_ids = (
            self._site_rows[id_column].tolist()
            if id_column in self._site_rows.columns
            else self._site_rows.index.tolist()
        )
        self._backend = _backend(engine)
        self._sites = self._backend.sites(site_xy(self._site_rows))
        self._active = np.ones(len(self._site_ids), dtype=bool)
        self._state = self._backend.full(self._sites, self._active)
        self.nearest_m, self.nearest_site = self._backend.demand(self._state)
        self.baseline = self._table(self.nearest_m, self.services)
        self.elapsed_s = time.perf_counter() - start

    # -------------------------------------------------------------- helpers
    @property
    def site_ids(self) -> list[Any]:
        """Identifiers of the baseline sites, in their row order."""
        return list(self._site_ids)

    def _table(self, nearest_m: np.ndarray, services: gpd.GeoDataFrame) -> pd.DataFrame:
        from geo.metrics import bydel_metrics

        table = bydel_metrics(
            self.demand,
            nearest_m,
            services,
            self.bydeler,
            self.threshold_m,
            self.categories,
            weight_column=self.weight_column,
            walk_speed_kmh=self.walk_speed_kmh,
        )
        table.attrs.update(self.table_attrs)
        table.attrs.update(
            distance_kind=self.engine.kind, distance_note=getattr(self.engine, "note", "")
        )
        return table

    def _positions(self, ids: Iterable[Any]) -> np.ndarray:
        lookup = {sid: k for k, sid in enumerate(self._site_ids)}
        missing = [sid for sid in ids if sid not in lookup]
        if missing:
            raise UnknownSiteError(
                f"Ukjent lokasjon: {', '.join(map(str, missing))}. Kjente: "
                f"{', '.join(map(str, self._site_ids[:10]))}{' …' if len(self._site_ids) > 10 else ''}"
            )
        return np.array([lookup[sid] for sid in ids], dtype=np.int64)

    def _new_rows(self, xy: np.ndarray, category: str) -> gpd.GeoDataFrame:
        import geopandas as gpd

        from geo.boundaries import assign_bydel

        points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=settings.ANALYSIS_CRS)
        rows = gpd.GeoDataFrame(
            {
                self.id_column: [f"scenario-{k + 1}" for k in range(len(xy))],
                "name": [SCENARIO_NAME.format(n=k + 1) for k in range(len(xy))],
                "category": category,
                "coord_quality": "fiktiv",
                "note": SCENARIO_NOTE,
            },
            geometry=points,
            crs=settings.ANALYSIS_CRS,
        )
        if self.services.crs is not None and self.services.crs != rows.crs:
            rows = rows.to_crs(self.services.crs)
        rows["bydel_code"] = (
            assign_bydel(rows.geometry, self.bydeler).to_numpy() if len(rows) else []
        )
        return rows

    def _moved_rows(self, positions: np.ndarray, xy: np.ndarray) -> gpd.GeoDataFrame:
        """Copies of moved sites at their new place, marked as hypothetical locations."""
        import geopandas as gpd

        from geo.boundaries import assign_bydel

        rows = self._site_rows.iloc[positions].copy()
        points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=settings.ANALYSIS_CRS)
        if rows.crs is not None and rows.crs != points.crs:
            points = points.to_crs(rows.crs)
        rows = rows.set_geometry(points.to_numpy())
        if "name" in rows.columns:
            rows["name"] = rows["name"].astype(str) + " (flyttet i scenario)"
        rows["coord_quality"] = "fiktiv"
        rows["note"] = MOVED_NOTE
        rows["bydel_code"] = assign_bydel(rows.geometry, self.bydeler).to_numpy()
        return rows

    # -------------------------------------------------------------- scenarios
    def scenario(
        self,
        add: np.ndarray | Sequence[Sequence[float]] | None = None,
        remove: Iterable[Any] | None = None,
        move: Mapping[Any, Sequence[float]] | None = None,
        *,
        add_category: str | None = None,
    ) -> ScenarioResult:
        """Apply changes to the baseline (not cumulative) and return the new table and the diff.

        Parameters
        ----------
        add
            (k, 2) coordinates (EPSG:25832) of new sites.
        remove
            Ids (``id_column``) of baseline sites to take away.
        move
            ``{id: (x, y)}``: baseline sites moved to a new place.
        add_category
            Category of added sites; default the first chosen category, else ``"annet"``.

        Returns
        -------
        ScenarioResult

        """
        start = time.perf_counter()
        add_xy = np.empty((0, 2)) if add is None else np.asarray(add, dtype=float).reshape(-1, 2)
        move = dict(move or {})
        removed_ids = list(dict.fromkeys([*(remove or []), *move.keys()]))
        removed = self._positions(removed_ids)
        moved_xy = (
            np.asarray(list(move.values()), dtype=float).reshape(-1, 2)
            if move
            else np.empty((0, 2))
        )
        new_xy = np.vstack([add_xy, moved_xy])

        state = self._state.copy()
        active = self._active.copy()
        active[removed] = False
        sites = self._sites
        if len(removed):
            self._backend.remove(state, sites, active, removed)
        if len(new_xy):
            extra = self._backend.sites(new_xy)
            sites = sites.extend(extra.xy, extra.node, extra.offset, extra.usable)
            active = np.r_[active, np.ones(len(new_xy), dtype=bool)]
        if isinstance(self._backend, _FullBackend):
            if len(removed) or len(new_xy):
                state = self._backend.full(sites, active)
        else:
            for pos in range(len(self._site_ids), len(sites.xy)):
                self._backend.add(state, sites, pos)
        nearest_m, nearest_pos = self._backend.demand(state)

        category = add_category or (self.categories[0] if self.categories else "annet")
        new_rows = self._new_rows(add_xy, category)
        if move:
            new_rows = pd.concat(
                [new_rows, self._moved_rows(self._positions(list(move)), moved_xy)],
                ignore_index=True,
            )
        keep_rows = self._site_rows.iloc[np.flatnonzero(active[: len(self._site_ids)])]
        drop_labels = self._site_rows.index[removed]
        services = self.services.drop(index=drop_labels)
        if len(new_rows):
            services = pd.concat([services, new_rows], ignore_index=True)
        scenario_sites = (
            pd.concat([keep_rows, new_rows], ignore_index=True) if len(new_rows) else keep_rows
        )
        # site positions → row positions in scenario_sites
        row_of = np.full(len(sites.xy), -1, dtype=np.int64)
        row_of[np.flatnonzero(active)] = np.arange(int(active.sum()))
        nearest_row = map_positions(row_of, nearest_pos)

        table = self._table(nearest_m, services)
        diff = _difference(self.baseline, table)
        return ScenarioResult(
            table=table,
            diff=diff,
            nearest_m=nearest_m,
            nearest_site=nearest_row,
            sites=scenario_sites,
            services=services,
            elapsed_s=time.perf_counter() - start,
        )

    def add(
        self, xy: np.ndarray | Sequence[Sequence[float]], category: str | None = None
    ) -> ScenarioResult:
        """Shortcut for ``scenario(add=xy)``."""
        return self.scenario(add=xy, add_category=category)

    def remove(self, ids: Iterable[Any]) -> ScenarioResult:
        """Shortcut for ``scenario(remove=ids)``."""
        return self.scenario(remove=ids)

    def move(self, moves: Mapping[Any, Sequence[float]]) -> ScenarioResult:
        """Shortcut for ``scenario(move=moves)``."""
        return self.scenario(move=moves)

    # -------------------------------------------------------------- ranking
    def candidate_coverage(
        self, candidate_xy: np.ndarray, candidate_ids: Sequence[Any] | None = None
    ) -> CandidateCoverage:
        """Precompute the coverage matrix of candidates at this what-if's threshold."""
        return candidate_coverage(self.engine, candidate_xy, self.threshold_m, candidate_ids)

    def rank_candidates(
        self,
        candidates: CandidateCoverage | np.ndarray,
        weights: np.ndarray | None = None,
        nearest_m: np.ndarray | None = None,
    ) -> CandidateRanking:
        r"""Score every candidate by the weight it would newly bring within the threshold.

        .. math::

            g_j = \sum_i w_i \, [d_i > t] \, c_{ij}, \qquad
            g_{jb} = \sum_{i \in b} w_i \, [d_i > t] \, c_{ij}

        where :math:`c_{ij} = 1` when candidate *j* is within :math:`t` of demand point *i*.

        Parameters
        ----------
        candidates
            A precomputed :class:`CandidateCoverage` (fast) or (m, 2) coordinates.
        weights
            Demand weights; default the demand's weight column (residents).
        nearest_m
            Current nearest distances (e.g. a scenario's); default the baseline.

        Returns
        -------
        CandidateRanking

        """
        if not isinstance(candidates, CandidateCoverage):
            candidates = self.candidate_coverage(np.asarray(candidates, dtype=float))
        start = time.perf_counter()
        w = (
            self.demand[self.weight_column].to_numpy(dtype=float)
            if weights is None
            else np.asarray(weights, dtype=float)
        )
        current = self.nearest_m if nearest_m is None else np.asarray(nearest_m, dtype=float)
        open_weight = np.where(current <= candidates.threshold_m, 0.0, w)
        is_open = (current > candidates.threshold_m).astype(float)
        covered_t = candidates.covered().T.tocsr()
        new_weight = covered_t @ open_weight
        new_points = covered_t @ is_open
        codes = self.demand["bydel_code"].astype(str).to_numpy()
        bydel_codes, bydel_pos = np.unique(codes, return_inverse=True)
        by_bydel_matrix = sp.csr_array(
            (open_weight, (np.arange(len(w)), bydel_pos)), shape=(len(w), len(bydel_codes))
        )
        per_bydel = (covered_t @ by_bydel_matrix).toarray()
        order = np.lexsort((np.arange(len(new_weight)), -new_weight))
        total = pd.DataFrame(
            {
                "candidate_id": [candidates.candidate_ids[k] for k in order],
                "x": candidates.candidate_xy[order, 0],
                "y": candidates.candidate_xy[order, 1],
                "new_weight": new_weight[order],
                "new_points": new_points[order].round().astype(np.int64),
                "rank": np.arange(1, len(order) + 1),
            }
        )
        by_bydel = pd.DataFrame(per_bydel[order], columns=list(bydel_codes))
        by_bydel.insert(0, "candidate_id", total["candidate_id"].to_numpy())
        ranking = CandidateRanking(total, by_bydel, time.perf_counter() - start)
        ranking.attrs.update(
            threshold_m=candidates.threshold_m,
            distance_kind=candidates.distance_kind,
            weight_basis="innbyggere" if weights is None else "brukerdata",
            precompute_s=candidates.elapsed_s,
        )
        return ranking


def _difference(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """:func:`geo.metrics.compare_tables`, vectorised for tables with the same rows (the usual case).

    ``compare_tables`` merges on the keys, which costs more than the whole incremental update;
    two tables from the same :class:`WhatIf` have identical bydel rows, so the difference is a
    plain array subtraction with the same ``d_<metric>`` columns.
    """
    from geo.metrics import compare_tables

    key = ["bydel_code", "bydel"]
    if not baseline[key].equals(scenario[key]) or list(baseline.columns) != list(scenario.columns):
        return compare_tables(baseline, scenario)
    numeric = [
        c for c in baseline.columns if c not in key and pd.api.types.is_numeric_dtype(baseline[c])
    ]
    out = baseline[key].reset_index(drop=True).copy()
    with np.errstate(invalid="ignore"):
        for column in numeric:
            out[f"d_{column}"] = scenario[column].to_numpy() - baseline[column].to_numpy()
    return out


# ---------------------------------------------------------------------- CLI
def add_cli(subparsers: Any) -> None:
    """Register the ``whatif`` and ``rank-candidates`` subcommands."""
    from geo.cli import add_common_analysis_args

    p = subparsers.add_parser(
        "whatif", help="legg til, flytt eller fjern lokasjoner og se endringen per bydel"
    )
    add_common_analysis_args(p)
    p.add_argument(
        "--add", nargs="*", default=[], metavar="X,Y", help="ny lokasjon (EPSG:25832 eller lat,lon)"
    )
    p.add_argument(
        "--remove", nargs="*", default=[], metavar="ID", help="fjern tilbud med denne id"
    )
    p.add_argument("--move", nargs="*", default=[], metavar="ID=X,Y", help="flytt tilbud")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--out", help="skriv scenariotabellen til fil")
    p.set_defaults(func=_cli_whatif)

    q = subparsers.add_parser(
        "rank-candidates",
        help="ranger kandidatsteder (--candidates) etter nye innbyggere innen terskelen",
    )
    add_common_analysis_args(q)
    q.add_argument("--top", type=int, default=20, help="vis de N beste")
    q.add_argument("--out", help="skriv hele rangeringen (med per bydel) til CSV")
    q.set_defaults(func=_cli_rank)


def _parse_xy(text: str, option: str) -> tuple[float, float]:
    """``X,Y`` in EPSG:25832, or ``lat,lon`` in WGS84 (recognised by its size)."""
    from geo.io import InputError, Problem

    parts = text.replace(";", ",").split(",")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise InputError(
            Problem(option, None, None, f"«{text}» er ikke på formen X,Y eller lat,lon.")
        ) from None
    if abs(a) <= 90 and abs(b) <= 180:
        import pyproj

        to_utm = pyproj.Transformer.from_crs(
            settings.DISPLAY_CRS, settings.ANALYSIS_CRS, always_xy=True
        )
        x, y = to_utm.transform(b, a)
        return float(x), float(y)
    return a, b


def _whatif_from_args(args: argparse.Namespace) -> WhatIf:
    from geo.cli import build_study_and_engine, parse_categories, threshold_from_args, user_weights

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    weights = user_weights(study, args)
    demand = study.demand if weights is None else study.demand.assign(weight=weights)
    return WhatIf(
        engine,
        demand,
        study.services,
        study.bydeler,
        categories=categories,
        threshold_m=threshold,
        walk_speed_kmh=args.speed,
        table_attrs={
            "population_note": study.demand.attrs.get("note", ""),
            "population_year": study.population.attrs.get("population_year"),
            "boundary_version": study.boundary_version,
            "unallocated": study.demand.attrs.get("unallocated", {}),
            "weight_basis": "innbyggere" if weights is None else "brukerdata",
        },
    )


def _cli_whatif(args: argparse.Namespace) -> int:
    from geo.cli import emit_table, settings_lines
    from geo.services import load_candidates, site_xy

    add = [_parse_xy(t, "--add") for t in args.add]
    move = {}
    for item in args.move:
        sid, _, xy = item.partition("=")
        move[sid] = _parse_xy(xy, "--move")
    whatif = _whatif_from_args(args)
    if args.candidates:
        add += [tuple(p) for p in site_xy(load_candidates(args.candidates).frame)]
    result = whatif.scenario(add=add or None, remove=args.remove, move=move)
    emit_table(result.table, args.format, args.out)
    if args.format == "table" and not args.out:
        shown = ["bydel", "d_share_within_threshold", "d_residents_within_threshold"]
        print("\nEndring fra dagens situasjon:")
        print(result.diff[shown].to_string(index=False, float_format="{:.3f}".format))
    elif args.out:
        for line in settings_lines(result.table):
            print(line)
    return 0


def _cli_rank(args: argparse.Namespace) -> int:
    from geo.cli import settings_lines
    from geo.io import InputError, Problem
    from geo.services import load_candidates, site_xy

    if not args.candidates:
        raise InputError(Problem("--candidates", None, None, "Oppgi en fil med kandidatsteder."))
    loaded = load_candidates(args.candidates)
    for problem in loaded.problems:
        print(problem)
    frame = loaded.frame
    ids = frame["name"].tolist() if "name" in frame.columns else list(range(len(frame)))
    whatif = _whatif_from_args(args)
    ranking = whatif.rank_candidates(whatif.candidate_coverage(site_xy(frame), ids))
    for line in settings_lines(whatif.baseline):
        print(line)
    print(
        f"Forberedt på {ranking.attrs['precompute_s']:.2f} s, rangert på {ranking.elapsed_s * 1e3:.0f} ms."
    )
    print(ranking.total.head(args.top).to_string(index=False))
    if args.out:
        ranking.total.merge(ranking.by_bydel, on="candidate_id").to_csv(args.out, index=False)
    return 0
