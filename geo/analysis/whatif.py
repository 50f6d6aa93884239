r"""What-if analysis: add, move or remove sites and see every zone's metrics change at once.

A :class:`WhatIf` keeps, for the baseline set of sites, the distance from the nearest site to
every network node (or, with straight-line distance, to every demand point) together with *which*
site that is. A scenario changes only what it can change:

* **adding** a site runs one Dijkstra from the new site, bounded by a radius :math:`L` that is
  doubled until no improved node lies near its edge (exact, see :meth:`_NetworkBackend.add`);
* **removing** a site recomputes only the nodes whose nearest site it was, by a multi-source
  Dijkstra inside that area seeded from its border (exact, see :meth:`_NetworkBackend.remove`);
* **moving** a site is removing it and adding it at the new place.

The per-demand-point distances then go through :func:`geo.analysis.zone_metrics.zone_metrics`
over a :class:`~geo.analysis.zone_metrics.ZoneIndex` built once, the same function a full
recomputation uses, so a scenario's table equals the table recomputed from scratch.

:meth:`WhatIf.rank_candidates` scores many candidate sites at once by the weight (residents or
user data) they would newly bring within the threshold:

.. math::

    g_j = \sum_i w_i \, [d_i > t] \, [d_{ij} \le t]

computed for all candidates *j* (and per zone) as one sparse matrix product over the coverage
matrix from :func:`candidate_coverage`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo import settings
from geo.analysis._incremental import FullBackend, backend
from geo.analysis.metrics import measured_demand, with_distance_basis
from geo.analysis.scenario_result import ScenarioResult, column_difference
from geo.analysis.zone_metrics import (
    ServiceCounts,
    ZoneIndex,
    metric_table,
    zone_metric_columns,
)
from geo.data.boundaries import zone_codes_at
from geo.data.services import located
from geo.data.study import with_zone
from geo.distance import DistanceEngine
from geo.errors import UnknownSiteError
from geo.geom import to_analysis_crs, xy_of
from geo.labels import CATEGORIES, MOVED_NOTE, SCENARIO_NAME, SCENARIO_NOTE
from geo.names import CITY_NAME
from geo.network.paths import map_positions

__all__ = [
    "CandidateCoverage",
    "CandidateRanking",
    "WhatIf",
    "candidate_coverage",
]


@dataclass
class _Changes:
    """One scenario's changes to a :class:`WhatIf` baseline, turned into tables on demand."""

    whatif: WhatIf
    nearest_m: np.ndarray
    add_xy: np.ndarray
    category: str
    moved: np.ndarray  # baseline positions of moved sites
    moved_xy: np.ndarray
    removed: np.ndarray  # baseline positions of removed (and moved) sites
    active: np.ndarray

    @cached_property
    def new_zones(self) -> np.ndarray:
        """Zone code of each added, then each moved site: for the table and the registry."""
        new_xy = np.vstack([self.add_xy, self.moved_xy])
        return zone_codes_at(new_xy, self.whatif.zones) if len(new_xy) else np.array([])

    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """The zone table's columns: the baseline's counts changed by the sites that changed."""
        w = self.whatif
        rows = w._site_rows.index[self.removed]  # registry rows (a RangeIndex: positions)
        counts = w._counts.changed(w._row_zone[rows], w._row_category[rows], sign=-1)
        if len(self.new_zones):
            moved_rows = w._site_rows.index[self.moved]
            categories = [self.category] * len(self.add_xy) + list(w._row_category[moved_rows])
            counts = counts.changed(w.index.positions(self.new_zones), categories)
        return w._columns(self.nearest_m, counts)

    def table(self) -> pd.DataFrame:
        return self.whatif._frame(self.columns)

    def diff(self) -> pd.DataFrame:
        # the same zone rows as the baseline: the difference is one subtraction per column
        return column_difference(self.whatif._baseline_columns, self.columns)

    def rows(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        w = self.whatif
        n_added = len(self.add_xy)
        new_rows = w._new_rows(self.add_xy, self.category, self.new_zones[:n_added])
        if len(self.moved):
            moved = w._moved_rows(self.moved, self.moved_xy, self.new_zones[n_added:])
            new_rows = pd.concat([new_rows, moved], ignore_index=True)
        keep_rows = w._site_rows.iloc[np.flatnonzero(self.active[: len(w._site_rows)])]
        services = w.services.drop(index=w._site_rows.index[self.removed])
        if len(new_rows):
            services = pd.concat([services, new_rows], ignore_index=True)
            keep_rows = pd.concat([keep_rows, new_rows], ignore_index=True)
        return keep_rows, services


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
    by_zone
        Newly covered weight per candidate (rows, same order as ``total``) and zone (columns,
        zone codes).
    elapsed_s
        Seconds for the scoring (excluding the precomputation).

    """

    total: pd.DataFrame
    by_zone: pd.DataFrame
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


class WhatIf:
    """Incremental scenarios on one set of sites, with the per-bydel table after each change.

    Parameters
    ----------
    engine
        Distance engine over ``demand`` (network, straight line, or any other).
    demand
        Demand points: ``zone_code``, ``weight``, geometry (a study's demand,
        :attr:`geo.data.study.Study.demand`).
    services
        The service registry (all rows; the table counts them).
    zones
        Zone polygons with ``zone_code`` and ``zone`` (the rows of the table,
        :attr:`geo.data.study.Study.zones`).
    categories
        Categories whose located services are "sites"; all when ``None``.
    threshold_m
        Threshold for the coverage metrics and for ranking.
    walk_speed_kmh
        For the walking-minute columns.
    table_attrs
        Extra ``attrs`` stamped on every table (population note, boundary version …), so exports
        can state them.

    The total row is named ``zones.attrs["total_name"]`` («Hele byen» when not set; a study
    area's zones carry «Hele området»).
    """

    id_column = "id"
    """Service column that names sites in ``remove``/``move`` (the row index when missing)."""

    def __init__(
        self,
        engine: DistanceEngine,
        demand: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        zones: gpd.GeoDataFrame,
        *,
        categories: list[str] | None = None,
        threshold_m: float = settings.DEFAULT_THRESHOLD_M,
        walk_speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
        table_attrs: Mapping[str, Any] | None = None,
    ) -> None:

        start = time.perf_counter()
        if len(engine.demand_xy) != len(demand):
            raise ValueError("Avstandsmotoren og etterspørselspunktene har ulik lengde.")
        self.engine = engine
        self.demand = measured_demand(demand, engine)
        self.zones = to_analysis_crs(zones)  # new sites come in EPSG:25832
        self.index = ZoneIndex.from_demand(
            self.demand, zones, zones.attrs.get("total_name", CITY_NAME)
        )
        self.categories = list(categories) if categories else None
        self.threshold_m = float(threshold_m)
        self.walk_speed_kmh = walk_speed_kmh
        self.table_attrs = dict(table_attrs or {})
        # zone of every service once, so a scenario only places its new sites
        self.services = (with_zone(services, zones) if len(services) else services).reset_index(
            drop=True
        )
        self._site_rows = located(self.services, self.categories)
        # what the zone table counts of each service (its zone and category), counted once: a
        # scenario changes the counts of the sites it removes or adds
        self._row_zone = self.index.positions(
            self.services["zone_code"].to_numpy() if len(self.services) else []
        )
        self._row_category = (
            self.services["category"].to_numpy(dtype=object)
            if len(self.services)
            else np.array([], dtype=object)
        )
        self._counted = list(self.categories) if self.categories else list(CATEGORIES)
        self._counts = ServiceCounts.of(self.index, self.services, self._counted)
        self._site_ids = (
            self._site_rows[self.id_column].tolist()
            if self.id_column in self._site_rows.columns
            else self._site_rows.index.tolist()
        )
        self._backend = backend(engine)
        self._sites = self._backend.sites(xy_of(self._site_rows))
        self._active = np.ones(len(self._site_ids), dtype=bool)
        self._state = self._backend.full(self._sites, self._active)
        self.nearest_m, self.nearest_site = self._backend.demand(self._state)
        self._basis: dict[str, np.ndarray] = {}  # filled from the baseline just below
        metrics = self._columns(self.nearest_m, self._counts)
        # how each zone is measured is the engine's, the same in every scenario: looked up once
        self.baseline = with_distance_basis(self._frame(metrics), self.engine)
        self._basis = {
            c: self.baseline[c].to_numpy()
            for c in ("network_share", "distance_basis")
            if c in self.baseline
        }
        self._baseline_columns = {**metrics, **self._basis}
        self.elapsed_s = time.perf_counter() - start

    # -------------------------------------------------------------- helpers
    @property
    def site_ids(self) -> list[Any]:
        """Identifiers of the baseline sites, in their row order."""
        return list(self._site_ids)

    def _columns(self, nearest_m: np.ndarray, counts: ServiceCounts) -> dict[str, np.ndarray]:
        """The zone table's columns for these distances and counts (with the distance basis)."""
        columns = zone_metric_columns(
            self.index,
            nearest_m,
            counts.columns(self._counted),
            self.threshold_m,
            self.walk_speed_kmh,
        )
        return {**columns, **self._basis}

    def _frame(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        table = metric_table(columns, self.threshold_m, self._counted, self.walk_speed_kmh)
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

    def _new_rows(self, xy: np.ndarray, category: str, zone_codes: np.ndarray) -> gpd.GeoDataFrame:
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
        rows["zone_code"] = zone_codes
        return rows

    def _moved_rows(
        self, positions: np.ndarray, xy: np.ndarray, zone_codes: np.ndarray
    ) -> gpd.GeoDataFrame:
        """Copies of moved sites at their new place, marked as hypothetical locations."""
        rows = self._site_rows.iloc[positions].copy()
        points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=settings.ANALYSIS_CRS)
        if rows.crs is not None and rows.crs != points.crs:
            points = points.to_crs(rows.crs)
        rows = rows.set_geometry(points.to_numpy())
        if "name" in rows.columns:
            rows["name"] = rows["name"].astype(str) + " (flyttet i scenario)"
        rows["coord_quality"] = "fiktiv"
        rows["note"] = MOVED_NOTE
        rows["zone_code"] = zone_codes
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
        if isinstance(self._backend, FullBackend):
            if len(removed) or len(new_xy):
                state = self._backend.full(sites, active)
        else:
            for pos in range(len(self._site_ids), len(sites.xy)):
                self._backend.add(state, sites, pos)
        nearest_m, nearest_pos = self._backend.demand(state)

        # site positions → row positions in the scenario's sites
        row_of = np.full(len(sites.xy), -1, dtype=np.int64)
        row_of[np.flatnonzero(active)] = np.arange(int(active.sum()))
        nearest_row = map_positions(row_of, nearest_pos)
        category = add_category or (self.categories[0] if self.categories else "annet")
        changes = _Changes(
            self,
            nearest_m,
            add_xy,
            category,
            self._positions(list(move)) if move else np.empty(0, dtype=np.int64),
            moved_xy,
            removed,
            active,
        )
        return ScenarioResult(
            nearest_m=nearest_m,
            nearest_site=nearest_row,
            elapsed_s=time.perf_counter() - start,
            _builder=changes,
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
            self.demand["weight"].to_numpy(dtype=float)
            if weights is None
            else np.asarray(weights, dtype=float)
        )
        current = self.nearest_m if nearest_m is None else np.asarray(nearest_m, dtype=float)
        open_weight = np.where(current <= candidates.threshold_m, 0.0, w)
        is_open = (current > candidates.threshold_m).astype(float)
        covered_t = candidates.covered().T.tocsr()
        new_weight = covered_t @ open_weight
        new_points = covered_t @ is_open
        codes = self.demand["zone_code"].astype(str).to_numpy()
        zone_codes, zone_pos = np.unique(codes, return_inverse=True)
        by_zone_matrix = sp.csr_array(
            (open_weight, (np.arange(len(w)), zone_pos)), shape=(len(w), len(zone_codes))
        )
        per_zone = (covered_t @ by_zone_matrix).toarray()
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
        by_zone = pd.DataFrame(per_zone[order], columns=list(zone_codes))
        by_zone.insert(0, "candidate_id", total["candidate_id"].to_numpy())
        ranking = CandidateRanking(total, by_zone, time.perf_counter() - start)
        ranking.attrs.update(
            threshold_m=candidates.threshold_m,
            distance_kind=candidates.distance_kind,
            weight_basis=(
                "brukerdata"
                if weights is not None
                else self.table_attrs.get("weight_basis", "innbyggere")
            ),
            precompute_s=candidates.elapsed_s,
        )
        return ranking
