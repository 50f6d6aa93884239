r"""Suggest sites for new services: maximal covering with existing services locked in.

Given demand points *i* with weights :math:`w_i` (residents, or a user-data column), candidate
sites *j*, a threshold *t* and the existing services, choose *p* new sites that bring as much
weight as possible newly within *t* of a service (Church & ReVelle's maximal covering location
problem, MCLP). Four solvers share one :class:`CoverageModel`:

* :meth:`CoverageModel.solve_enumeration` – *p* = 1, exact, every candidate scored at once
  (one sparse matrix–vector product);
* :meth:`CoverageModel.solve_greedy` – *p* > 1 for interactive use; the coverage function is
  monotone submodular, so greedy reaches at least :math:`1 - (1 - 1/p)^p > 1 - 1/e \approx 0.632`
  of the optimum (Nemhauser, Wolsey & Fisher 1978), and in practice far more;
* :meth:`CoverageModel.solve_exact` – the MCLP as a mixed-integer programme solved by HiGHS
  (``highspy``), with a time limit; status, bound and optimality gap are reported;
* :meth:`CoverageModel.solve_maximin` – balance instead of total: maximise the coverage share
  of the worst-off bydel (or bydel group), then total coverage among those answers, so a
  planner can see what balance costs in total coverage.

:func:`explain_suggestion` says, per suggested site, which bydeler gain, how many residents or
users are newly within reach, how every balance metric of :mod:`geo.balance` changes, and how far
the site is from the existing brukerrom. :func:`suggest_sites` ties loading, candidates (file,
grid or street-node sample, minus exclusion zones), solving and explaining together for the CLI
(``oslo-coverage suggest``) and the app.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo import balance, settings
from geo.names import BYDEL_CODES

if TYPE_CHECKING:
    from geo.distance import DistanceEngine
    from geo.metrics import Study

METHODS = ("enumerate", "greedy", "exact", "maximin")
METHOD_LABELS = {
    "enumerate": "Fullstendig opptelling (p = 1, eksakt)",
    "greedy": "Grådig (rask, minst 63 % av optimum garantert)",
    "exact": "Eksakt heltallsmodell (HiGHS)",
    "maximin": "Balanse: best mulig dekning i bydelen som kommer dårligst ut (HiGHS)",
}
GREEDY_GUARANTEE = (
    "Grådig valg av {p} steder gir minst {bound:.1%} av best mulige nye dekning "
    "(1 − (1 − 1/p)^p ≥ 1 − 1/e for monoton submodulær dekning)."
)
BRUKERROM = "brukerrom"


# ---------------------------------------------------------------------- results
@dataclass
class SitingResult:
    """A set of suggested sites and what they achieve.

    Attributes
    ----------
    method
        ``enumerate``, ``greedy``, ``exact`` or ``maximin``.
    p
        Number of new sites.
    chosen
        Candidate ids, in the order chosen (greedy: best first).
    chosen_index
        Column positions of the chosen candidates.
    total_weight
        Weight of all demand points (residents or users).
    covered_before
        Weight within the threshold of an existing service.
    newly_covered
        Weight newly within the threshold of a chosen site.
    by_group
        One row per bydel: ``bydel_code``, ``bydel``, ``weight``, ``covered_before``,
        ``newly_covered``, ``covered_after``, ``share_before``, ``share_after``.
    solver
        ``status``, ``objective``, ``bound``, ``gap``, ``time_s`` and method-specific entries.
    notes
        Bokmål lines every output should show.
    ranking
        For ``enumerate``: every candidate's new weight, best first.

    """

    method: str
    p: int
    chosen: list[Any]
    chosen_index: np.ndarray
    total_weight: float
    covered_before: float
    newly_covered: float
    by_group: pd.DataFrame
    solver: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ranking: pd.DataFrame | None = None

    @property
    def covered_after(self) -> float:
        """Weight within the threshold after adding the chosen sites."""
        return self.covered_before + self.newly_covered

    @property
    def share_before(self) -> float:
        """Share of the total weight covered before."""
        return self.covered_before / self.total_weight if self.total_weight else float("nan")

    @property
    def share_after(self) -> float:
        """Share of the total weight covered after."""
        return self.covered_after / self.total_weight if self.total_weight else float("nan")

    @property
    def min_share_after(self) -> float:
        """Coverage share of the worst-off bydel after the change."""
        rows = self.by_group[self.by_group["weight"] > 0]
        return float(rows["share_after"].min()) if len(rows) else float("nan")


# ---------------------------------------------------------------------- the model
def _merge_identical_rows(
    matrix: sp.csr_array, weights: np.ndarray, labels: np.ndarray | None = None
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Drop rows with no weight or no entry; merge rows with the same entries (and label).

    Returns the merged matrix, the summed weights and, per merged row, the first original row.
    """
    row_nnz = np.diff(matrix.indptr)
    rows = np.flatnonzero((weights > 0) & (row_nnz > 0))
    keys: dict[tuple[Any, bytes], int] = {}
    position = np.empty(len(rows), dtype=np.int64)
    indptr, indices = matrix.indptr, matrix.indices
    first_rows: list[int] = []
    for k, r in enumerate(rows):
        key = (
            labels[r] if labels is not None else None,
            indices[indptr[r] : indptr[r + 1]].tobytes(),
        )
        slot = keys.get(key)
        if slot is None:
            slot = keys[key] = len(first_rows)
            first_rows.append(int(r))
        position[k] = slot
    merged_weights = np.bincount(position, weights=weights[rows], minlength=len(first_rows))
    first = np.asarray(first_rows, dtype=np.int64)
    merged = (
        sp.csr_array(matrix[first])
        if len(first)
        else sp.csr_array((0, matrix.shape[1]), dtype=matrix.dtype)
    )
    return merged, merged_weights, first


def _prune_candidates(
    reduced: sp.csr_array, weights: np.ndarray, p: int, incumbent: float, keep: np.ndarray
) -> np.ndarray:
    r"""Candidates that can be part of a set better than ``incumbent`` (a mask).

    Coverage is submodular, so a set *S* containing *j* covers at most
    :math:`g_j + \sum` of the :math:`p - 1` largest other single gains. When that bound is
    below the incumbent (the greedy value), *j* is in no better set and can be dropped without
    losing optimality. The incumbent's own sites (``keep``) always stay.
    """
    gains = np.asarray(reduced.T.astype(float) @ weights).ravel()
    order = np.sort(gains)[::-1]
    top = order[: max(p - 1, 0)].sum()
    # for a candidate inside the top p-1, the p-1 best *others* include the p-th gain instead
    pth = order[p - 1] if len(order) >= p else 0.0
    threshold_in_top = order[p - 2] if p >= 2 and len(order) >= p - 1 else np.inf
    others = np.where(gains >= threshold_in_top, top - gains + pth, top)
    bound = gains + others
    tolerance = 1e-9 * max(abs(incumbent), 1.0)
    return (bound > incumbent + tolerance) | keep


class CoverageModel:
    r"""Maximal covering of demand by *p* new sites, with existing services locked in.

    Notation: demand points :math:`i \in I` with weights :math:`w_i \ge 0`; candidates
    :math:`j \in J`; :math:`N_i = \{ j : d_{ij} \le t \}` the candidates within the threshold of
    *i*; :math:`I_0` the points already within *t* of an existing service.

    **Maximal covering (MCLP)**, :meth:`solve_exact`:

    .. math::

        \max \sum_{i \in I \setminus I_0} w_i y_i \quad \text{s.t.} \quad
        y_i \le \sum_{j \in N_i} x_j \;\; (i \in I \setminus I_0), \qquad
        \sum_{j \in J} x_j = p, \qquad x_j \in \{0, 1\}, \; 0 \le y_i \le 1

    (:math:`y_i` may be continuous: for binary *x* an optimal *y* is binary).

    **Maximin balance**, :meth:`solve_maximin`, with groups *g* (bydeler or bydel groups),
    group weight :math:`W_g` and weight already covered :math:`C_g`, solved lexicographically:

    .. math::

        z^{*} = \max \; z \quad \text{s.t.} \quad
        z \le \frac{C_g + \sum_{i \in g} w_i y_i}{W_g} \;\; \forall g, \qquad
        \text{(the MCLP constraints)}

    then :math:`\max \sum_i w_i y_i` with :math:`z \ge z^{*}` added.

    **Reduction** (exact for both models): points already covered, with zero weight, or out of
    reach of every candidate are dropped; points with identical :math:`N_i` (and, for maximin,
    the same group) are merged and their weights summed. On Oslo (19 777 cells of 100 m, 300
    candidates, brukerrom locked in) this leaves 1 081 rows at 500 m and 2 116 at 750 m.

    Parameters
    ----------
    coverage
        Boolean sparse matrix (n_demand × n_candidates): True where candidate *j* is within the
        threshold of demand point *i*.
    weights
        Demand weights (n_demand,).
    already_covered
        Demand points within the threshold of an existing service (n_demand,).
    groups
        Bydel code of every demand point (n_demand,), for per-bydel tables and maximin.
    candidate_ids
        One id per candidate; ``0..m-1`` by default.
    threshold_m
        The threshold the coverage matrix was built with (for notes).
    candidate_xy, candidate_groups
        Candidate coordinates (EPSG:25832) and bydel codes, used by :func:`explain_suggestion`.
    existing_xy, existing_groups, existing_names
        The existing services locked in (coordinates, bydel codes, names).
    distance_note
        How distances were measured (shown in every output).

    """

    def __init__(
        self,
        coverage: Any,
        weights: Any,
        already_covered: Any | None = None,
        groups: Any | None = None,
        candidate_ids: Sequence[Any] | None = None,
        threshold_m: float = settings.DEFAULT_THRESHOLD_M,
        candidate_xy: np.ndarray | None = None,
        candidate_groups: Sequence[Any] | None = None,
        existing_xy: np.ndarray | None = None,
        existing_groups: Sequence[Any] | None = None,
        existing_names: Sequence[str] | None = None,
        distance_note: str = "",
    ) -> None:
        matrix = sp.csr_array(coverage, dtype=bool)
        matrix.eliminate_zeros()
        matrix.sort_indices()
        n, m = matrix.shape
        self.coverage: sp.csr_array = matrix
        self.weights = np.asarray(weights, dtype=float).ravel()
        if len(self.weights) != n:
            raise ValueError(
                f"weights har {len(self.weights)} verdier, dekningsmatrisen {n} rader."
            )
        if (self.weights < 0).any() or not np.isfinite(self.weights).all():
            raise ValueError("Vektene må være endelige tall ≥ 0.")
        self.already_covered = (
            np.zeros(n, dtype=bool)
            if already_covered is None
            else np.asarray(already_covered, dtype=bool).ravel()
        )
        if len(self.already_covered) != n:
            raise ValueError("already_covered må ha én verdi per etterspørselspunkt.")
        self.groups = (
            np.full(n, "0301", dtype=object) if groups is None else np.asarray(groups, dtype=object)
        )
        if len(self.groups) != n:
            raise ValueError("groups må ha én verdi per etterspørselspunkt.")
        self.candidate_ids = list(range(m)) if candidate_ids is None else list(candidate_ids)
        if len(self.candidate_ids) != m:
            raise ValueError(f"Det er {m} kandidater, men {len(self.candidate_ids)} id-er.")
        self.threshold_m = float(threshold_m)
        self.candidate_xy = None if candidate_xy is None else np.asarray(candidate_xy, float)
        self.candidate_groups = None if candidate_groups is None else list(candidate_groups)
        self.existing_xy = (
            np.zeros((0, 2))
            if existing_xy is None
            else np.asarray(existing_xy, float).reshape(-1, 2)
        )
        self.existing_groups = [] if existing_groups is None else list(existing_groups)
        self.existing_names = (
            [f"tilbud {k + 1}" for k in range(len(self.existing_xy))]
            if existing_names is None
            else list(existing_names)
        )
        self.distance_note = distance_note

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_cost_matrix(
        cls,
        cost: Any,
        weights: Any,
        threshold_m: float,
        already_covered: Any | None = None,
        groups: Any | None = None,
        candidate_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> CoverageModel:
        """Build from a demand × candidate cost matrix (metres).

        Parameters
        ----------
        cost
            Dense array (``inf``/``nan`` = unreachable) or a sparse matrix whose *stored* entries
            are distances (as returned by ``engine.within``: missing = farther than any
            threshold of interest). An entry covers when it is ``<= threshold_m``.
        weights, already_covered, groups, candidate_ids, **kwargs
            See :class:`CoverageModel`.

        """
        tolerance = 1e-6
        if sp.issparse(cost):
            matrix = sp.csr_array(cost, dtype=float)
            keep = matrix.data <= threshold_m + tolerance
            coverage = sp.csr_array(
                (keep, matrix.indices, matrix.indptr), shape=matrix.shape, dtype=bool
            )
        else:
            dense = np.asarray(cost, dtype=float)
            if dense.ndim != 2:
                raise ValueError(
                    "Kostnadsmatrisen må være todimensjonal (etterspørsel × kandidat)."
                )
            with np.errstate(invalid="ignore"):
                coverage = sp.csr_array(np.nan_to_num(dense, nan=np.inf) <= threshold_m + tolerance)
        return cls(
            coverage,
            weights,
            already_covered,
            groups,
            candidate_ids,
            threshold_m=threshold_m,
            **kwargs,
        )

    @classmethod
    def from_geodataframe(
        cls,
        demand_gdf: gpd.GeoDataFrame,
        candidates_gdf: gpd.GeoDataFrame,
        engine: DistanceEngine,
        threshold_m: float = settings.DEFAULT_THRESHOLD_M,
        existing_sites: gpd.GeoDataFrame | None = None,
        weight_col: str = "weight",
        group_col: str = "bydel_code",
        id_col: str | None = None,
        coverage: Any | None = None,
    ) -> CoverageModel:
        """Build from demand points, candidate sites and a distance engine.

        Parameters
        ----------
        demand_gdf
            Demand points (as :func:`geo.population.demand_points`), the same points and order as
            ``engine.demand_xy``.
        candidates_gdf
            Candidate points; ids from ``id_col``, else ``candidate_id``, ``id``, ``name`` or the
            row number; bydel from ``bydel_code`` when present.
        engine
            Any :class:`geo.distance.DistanceEngine` (straight line or walking network).
        threshold_m
            Coverage threshold in metres.
        existing_sites
            Services locked in (point geometries; ``name`` and ``bydel_code`` used if present).
        weight_col, group_col
            Columns of ``demand_gdf`` with the weight and the bydel code.
        coverage
            A precomputed demand × candidate within-threshold matrix (e.g.
            :func:`geo.whatif.candidate_coverage` ``.matrix`` or ``NetworkEngine.within``);
            computed with ``engine.within`` when ``None``.

        """
        cand = _to_analysis_crs(candidates_gdf)
        cand_xy = _xy(cand)
        ids = _candidate_ids(cand, id_col)
        if coverage is None:
            coverage = _engine_coverage(engine, cand_xy, threshold_m)
        covered = np.zeros(len(demand_gdf), dtype=bool)
        existing_xy = np.zeros((0, 2))
        existing_groups: list[Any] = []
        existing_names: list[str] = []
        if existing_sites is not None and len(existing_sites):
            existing = _to_analysis_crs(existing_sites)
            existing = existing[~(existing.geometry.isna() | existing.geometry.is_empty)]
            existing_xy = _xy(existing)
            if len(existing_xy):
                covered = np.asarray(engine.nearest(existing_xy), dtype=float) <= threshold_m
            existing_groups = existing["bydel_code"].tolist() if "bydel_code" in existing else []
            existing_names = existing["name"].astype(str).tolist() if "name" in existing else []
        return cls.from_cost_matrix(
            coverage,
            demand_gdf[weight_col].to_numpy(dtype=float),
            threshold_m,
            already_covered=covered,
            groups=demand_gdf[group_col].to_numpy(dtype=object)
            if group_col in demand_gdf
            else None,
            candidate_ids=ids,
            candidate_xy=cand_xy,
            candidate_groups=cand["bydel_code"].tolist() if "bydel_code" in cand else None,
            existing_xy=existing_xy,
            existing_groups=existing_groups or None,
            existing_names=existing_names or None,
            distance_note=getattr(engine, "note", ""),
        )

    # ------------------------------------------------------------------ properties
    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return int(self.coverage.shape[0])

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return int(self.coverage.shape[1])

    def _open_weights(self) -> np.ndarray:
        """Weights of the points not yet covered (0 for covered ones)."""
        return np.where(self.already_covered, 0.0, self.weights)

    def _reduced(
        self, group_labels: np.ndarray | None = None
    ) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
        """Rows that can still change, with identical rows merged (see class docstring).

        Returns the reduced coverage matrix (k × m), its weights and the group label per row.
        """
        open_w = self._open_weights()
        labels = self.groups if group_labels is None else group_labels
        reduced, weights, first = _merge_identical_rows(
            self.coverage, open_w, None if group_labels is None else labels
        )
        return reduced, weights, np.asarray(labels, dtype=object)[first]

    def _check_p(self, p: int) -> int:
        if int(p) != p or p < 1:
            raise ValueError(f"Antall nye steder må være et helt tall ≥ 1 (fikk {p}).")
        if p > self.n_candidates:
            raise ValueError(f"Kan ikke velge {p} steder blant {self.n_candidates} kandidater.")
        return int(p)

    # ------------------------------------------------------------------ evaluation
    def newly_covered(self, chosen_index: Sequence[int] | np.ndarray) -> np.ndarray:
        """Boolean per demand point: not covered before, within the threshold of a chosen site."""
        idx = np.asarray(chosen_index, dtype=np.int64)
        if len(idx) == 0:
            return np.zeros(self.n_demand, dtype=bool)
        reach = np.asarray(self.coverage[:, idx].sum(axis=1)).ravel() > 0
        return reach & ~self.already_covered

    def objective(self, chosen_index: Sequence[int] | np.ndarray) -> float:
        """Weight newly covered by a set of candidate positions (the MCLP objective)."""
        return float(self.weights[self.newly_covered(chosen_index)].sum())

    def by_group(self, chosen_index: Sequence[int] | np.ndarray) -> pd.DataFrame:
        """Per-bydel weight, covered before, newly covered, covered after and the shares."""
        new = self.newly_covered(chosen_index)
        frame = pd.DataFrame(
            {
                "bydel_code": self.groups,
                "weight": self.weights,
                "covered_before": np.where(self.already_covered, self.weights, 0.0),
                "newly_covered": np.where(new, self.weights, 0.0),
            }
        )
        out = frame.groupby("bydel_code", sort=True).sum().reset_index()
        out.insert(1, "bydel", out["bydel_code"].map(lambda c: BYDEL_CODES.get(c, str(c))))
        out["covered_after"] = out["covered_before"] + out["newly_covered"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_before"] = out["covered_before"] / out["weight"]
            out["share_after"] = out["covered_after"] / out["weight"]
        return out

    def _result(
        self,
        method: str,
        chosen_index: Sequence[int] | np.ndarray,
        solver: dict[str, Any],
        ranking: pd.DataFrame | None = None,
    ) -> SitingResult:
        idx = np.asarray(chosen_index, dtype=np.int64)
        notes = [
            f"Terskel: {self.threshold_m:.0f} m. {self.distance_note}".strip(),
            "Eksisterende tilbud er låst; bare nye steder velges.",
        ]
        if method == "greedy":
            notes.append(GREEDY_GUARANTEE.format(p=len(idx), bound=solver["guarantee"]))
        if method in {"exact", "maximin"} and solver.get("status") != "Optimal":
            notes.append(
                f"Løseren stoppet før optimum var bevist ({solver.get('status')}); "
                f"gap {solver.get('gap', float('nan')):.2%}."
            )
        return SitingResult(
            method=method,
            p=len(idx),
            chosen=[self.candidate_ids[j] for j in idx],
            chosen_index=idx,
            total_weight=float(self.weights.sum()),
            covered_before=float(self.weights[self.already_covered].sum()),
            newly_covered=self.objective(idx),
            by_group=self.by_group(idx),
            solver=solver,
            notes=notes,
            ranking=ranking,
        )

    # ------------------------------------------------------------------ solvers
    def candidate_gains(self) -> np.ndarray:
        r"""Weight each candidate alone would newly cover: :math:`g_j = \sum_{i \notin I_0} w_i [j \in N_i]`."""
        reduced, weights, _ = self._reduced()
        return (
            np.asarray(reduced.T.astype(float) @ weights).ravel()
            if len(weights)
            else np.zeros(self.n_candidates)
        )

    def solve_enumeration(self) -> SitingResult:
        """Best single new site (*p* = 1) by scoring every candidate; exact and instant.

        ``result.ranking`` lists every candidate with ``new_weight``, best first (ties keep the
        candidate order).
        """
        start = time.perf_counter()
        gains = self.candidate_gains()
        best = int(np.argmax(gains)) if len(gains) else 0
        order = np.argsort(-gains, kind="stable")
        ranking = pd.DataFrame(
            {
                "candidate_id": [self.candidate_ids[j] for j in order],
                "new_weight": gains[order],
                "rank": np.arange(1, len(order) + 1),
            }
        )
        solver = {
            "status": "Optimal",
            "objective": float(gains[best]) if len(gains) else 0.0,
            "bound": float(gains[best]) if len(gains) else 0.0,
            "gap": 0.0,
            "time_s": time.perf_counter() - start,
        }
        return self._result("enumerate", [best], solver, ranking)

    def solve_greedy(self, p: int) -> SitingResult:
        r"""Choose *p* sites one at a time, each time the one with the largest new weight.

        For monotone submodular coverage the result is within
        :math:`1 - (1 - 1/p)^p \ge 1 - 1/e` of the optimum (Nemhauser, Wolsey & Fisher 1978);
        for *p* = 1 it is the optimum. ``solver["marginal_gains"]`` holds each step's gain.
        """
        p = self._check_p(p)
        start = time.perf_counter()
        reduced, weights, _ = self._reduced()
        remaining = weights.copy()
        by_column = sp.csc_array(reduced.astype(float))
        chosen: list[int] = []
        gains_seq: list[float] = []
        available = np.ones(self.n_candidates, dtype=bool)
        for _ in range(p):
            gains = (
                np.asarray(by_column.T @ remaining).ravel()
                if len(remaining)
                else np.zeros(self.n_candidates)
            )
            gains = np.where(available, gains, -1.0)
            j = int(np.argmax(gains))
            chosen.append(j)
            gains_seq.append(float(max(gains[j], 0.0)))
            available[j] = False
            rows = by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]]
            remaining[rows] = 0.0
        guarantee = 1 - (1 - 1 / p) ** p
        solver = {
            "status": "Heuristisk",
            "objective": float(sum(gains_seq)),
            "bound": float("nan"),
            "gap": float("nan"),
            "guarantee": guarantee,
            "marginal_gains": gains_seq,
            "time_s": time.perf_counter() - start,
        }
        return self._result("greedy", chosen, solver)

    def solve_exact(
        self, p: int, time_limit_s: float = 30.0, mip_rel_gap: float = 1e-6
    ) -> SitingResult:
        """Solve the MCLP exactly with HiGHS (see the class docstring for the model).

        The greedy solution is given to HiGHS as a starting incumbent, so a time-limited solve
        is never worse than greedy.

        Parameters
        ----------
        p
            Number of new sites.
        time_limit_s
            Wall-clock limit for HiGHS; when hit, the best solution found is returned with its
            gap (``solver["status"] == "Time limit reached"``).
        mip_rel_gap
            Relative gap at which HiGHS may stop as optimal.

        Returns
        -------
        SitingResult
            ``solver`` has ``status``, ``objective``, ``bound``, ``gap``, ``time_s``,
            ``n_rows_reduced``.

        """
        p = self._check_p(p)
        start = time.perf_counter()
        reduced, weights, _ = self._reduced()
        greedy = self.solve_greedy(p)
        if len(weights) == 0:
            return self._result(
                "exact",
                greedy.chosen_index,
                {
                    "status": "Optimal",
                    "objective": 0.0,
                    "bound": 0.0,
                    "gap": 0.0,
                    "time_s": time.perf_counter() - start,
                    "n_rows_reduced": 0,
                },
            )
        in_greedy = np.zeros(self.n_candidates, dtype=bool)
        in_greedy[greedy.chosen_index] = True
        kept = np.flatnonzero(
            _prune_candidates(reduced, weights, p, greedy.newly_covered, in_greedy)
        )
        sub, sub_weights, _ = _merge_identical_rows(sp.csr_array(reduced[:, kept]), weights)
        m = len(kept)
        model = _mclp_matrices(sub, p)
        start_x = in_greedy[kept].astype(float)
        start_y = np.asarray(sub.astype(float) @ start_x).ravel() > 0
        chosen, info, _ = _solve_highs(
            n_x=m,
            cost=np.concatenate([np.zeros(m), sub_weights]),
            upper=np.ones(m + len(sub_weights)),
            matrix=model,
            row_lower=np.concatenate([np.full(len(sub_weights), -np.inf), [p]]),
            row_upper=np.concatenate([np.zeros(len(sub_weights)), [p]]),
            start=np.concatenate([start_x, start_y.astype(float)]),
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            p=p,
        )
        info.update(
            time_s=time.perf_counter() - start,
            n_rows_reduced=len(sub_weights),
            n_candidates_kept=m,
        )
        return self._result("exact", kept[chosen], info)

    def solve_maximin(
        self,
        p: int,
        time_limit_s: float = 30.0,
        group_map: Mapping[Any, Any] | None = None,
        over: str = "reachable",
        mip_rel_gap: float = 1e-6,
    ) -> SitingResult:
        r"""Maximise the coverage share of the worst-off group, then total coverage.

        Solved lexicographically (two HiGHS runs on one model): first the largest reachable
        minimum share :math:`z^{*}`, then the largest total coverage with every group at
        :math:`z^{*}` or more. Before that a tiny hitting-set model checks whether *p* sites can
        reach every group now at the minimum at all; if not, the minimum cannot rise, and the
        answer is the exact MCLP solution (``solver["min_can_rise"] = False``).

        Parameters
        ----------
        p
            Number of new sites.
        time_limit_s
            Wall-clock limit for both HiGHS runs together (60 % for the first).
        group_map
            Maps the model's groups (bydel codes) to coarser groups, e.g.
            :func:`geo.balance.load_bydel_groups` for indre by / ytre øst / ytre vest / ytre sør.
            The minimum is then over those groups.
        over
            ``"reachable"`` (default): the minimum runs over groups that at least one candidate
            can reach – others cannot change, and including them would pin the minimum;
            ``"all"``: over every group with weight.
        mip_rel_gap
            Relative gap at which HiGHS may stop as optimal.

        Notes
        -----
        With few sites and many groups at 0 % coverage the minimum cannot rise (one site cannot
        reach every bydel); the answer then equals the MCLP answer. Coarser groups
        (``group_map``) or more sites make the balance objective bite.

        """
        p = self._check_p(p)
        if over not in {"reachable", "all"}:
            raise ValueError("over må være «reachable» eller «all».")
        start = time.perf_counter()
        labels = (
            self.groups
            if group_map is None
            else np.array([group_map.get(g, g) for g in self.groups], dtype=object)
        )
        reduced, weights, row_groups = self._reduced(labels)
        frame = pd.DataFrame(
            {"g": labels, "w": self.weights, "c": np.where(self.already_covered, self.weights, 0.0)}
        )
        per_group = frame.groupby("g").sum()
        per_group = per_group[per_group["w"] > 0]
        if over == "reachable":
            per_group = per_group[per_group.index.isin(set(row_groups))]
        base_share = (per_group["c"] / per_group["w"]) if len(per_group) else pd.Series(dtype=float)
        info: dict[str, Any] = {
            "groups_considered": [str(g) for g in per_group.index],
            "min_share_before": float(base_share.min()) if len(base_share) else float("nan"),
        }
        lowest = base_share.index[base_share <= base_share.min() + 1e-12] if len(base_share) else []
        can_rise = len(weights) > 0 and len(per_group) > 0
        if can_rise:
            can_rise = _min_hitting_set(reduced, row_groups, list(lowest)) <= p
        info["min_can_rise"] = bool(can_rise)
        if not can_rise:
            exact = self.solve_exact(p, time_limit_s, mip_rel_gap)
            info.update(exact.solver)
            info.update(
                time_s=time.perf_counter() - start,
                min_share=self._min_share(exact.chosen_index, labels, per_group.index),
                min_can_rise=False,
            )
            result = self._result("maximin", exact.chosen_index, info)
            result.notes.append(
                f"Med {p} nye steder kan ikke alle grupper med lavest dekning nås; den laveste "
                "andelen kan ikke heves, så forslaget er det som gir flest nye innen terskelen."
            )
            return result
        m, k = self.n_candidates, len(weights)
        z_col = m + k
        base = _mclp_matrices(reduced, p)  # rows: k cover rows, 1 cardinality row
        group_index = {g: r for r, g in enumerate(per_group.index)}
        rows_i, cols_i, vals_i = [], [], []
        for i, g in enumerate(row_groups):
            r = group_index.get(g)
            if r is not None:
                rows_i.append(r)
                cols_i.append(m + i)
                vals_i.append(-weights[i] / per_group.loc[g, "w"])
        n_groups = len(per_group)
        rows_i += list(range(n_groups))
        cols_i += [z_col] * n_groups
        vals_i += [1.0] * n_groups
        balance_rows = sp.csr_array((vals_i, (rows_i, cols_i)), shape=(n_groups, z_col + 1))
        base = sp.hstack([base, sp.csr_array((base.shape[0], 1))], format="csr")
        matrix = sp.vstack([base, balance_rows], format="csc")
        row_lower = np.concatenate([np.full(k, -np.inf), [p], np.full(n_groups, -np.inf)])
        row_upper = np.concatenate([np.zeros(k), [p], base_share.to_numpy()])
        start_index = _balance_greedy(reduced, weights, row_groups, per_group, p)
        start_x = np.zeros(m)
        start_x[start_index] = 1.0
        start_y = (np.asarray(reduced.astype(float) @ start_x).ravel() > 0).astype(float)
        start_z = self._min_share(start_index, labels, per_group.index)
        # phase 1: the best minimum share
        _, first, values = _solve_highs(
            n_x=m,
            cost=np.concatenate([np.zeros(m + k), [1.0]]),
            upper=np.ones(z_col + 1),
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            start=np.concatenate([start_x, start_y, [start_z]]),
            time_limit_s=0.6 * time_limit_s,  # the rest is left for phase 2
            mip_rel_gap=mip_rel_gap,
            p=p,
        )
        z_star = float(values[z_col])
        # phase 2: the most coverage with every group at z* or more
        lower = np.zeros(z_col + 1)
        lower[z_col] = max(z_star - 1e-9, 0.0)
        chosen, second, _ = _solve_highs(
            n_x=m,
            cost=np.concatenate([np.zeros(m), weights, [0.0]]),
            upper=np.ones(z_col + 1),
            lower=lower,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            start=values,
            time_limit_s=max(time_limit_s - (time.perf_counter() - start), 1.0),
            mip_rel_gap=mip_rel_gap,
            p=p,
        )
        statuses = {first["status"], second["status"]}
        info.update(
            status="Optimal" if statuses == {"Optimal"} else " / ".join(sorted(statuses)),
            objective=second["objective"],
            bound=second["bound"],
            gap=max(first["gap"], second["gap"]),
            min_share_bound=first["bound"],
            phase1=first,
            phase2=second,
            time_limit_s=float(time_limit_s),
            n_rows_reduced=int(k),
            time_s=time.perf_counter() - start,
            min_share=self._min_share(chosen, labels, per_group.index),
        )
        return self._result("maximin", chosen, info)

    def _min_share(
        self, chosen_index: Sequence[int] | np.ndarray, labels: np.ndarray, considered: Any
    ) -> float:
        """Lowest coverage share after adding ``chosen_index`` among the ``considered`` groups."""
        covered = self.already_covered | self.newly_covered(chosen_index)
        frame = pd.DataFrame(
            {"g": labels, "w": self.weights, "c": np.where(covered, self.weights, 0.0)}
        )
        grouped = frame.groupby("g")[["w", "c"]].sum().reindex(list(considered))
        return float((grouped["c"] / grouped["w"]).min()) if len(grouped) else float("nan")

    def tradeoff(self, p: int, time_limit_s: float = 30.0, **maximin_kwargs: Any) -> pd.DataFrame:
        """Total coverage against balance: the exact MCLP answer next to the maximin answer.

        Returns one row per method with ``chosen``, ``newly_covered``, ``share_after``,
        ``min_share_after`` and the weighted Gini of the bydel coverage shares after.
        """
        rows = []
        for result in (
            self.solve_exact(p, time_limit_s),
            self.solve_maximin(p, time_limit_s, **maximin_kwargs),
        ):
            table = result.by_group[result.by_group["weight"] > 0]
            rows.append(
                {
                    "method": result.method,
                    "chosen": result.chosen,
                    "newly_covered": result.newly_covered,
                    "share_after": result.share_after,
                    "min_share_after": result.min_share_after,
                    "gini_after": balance.weighted_gini(table["share_after"], table["weight"]),
                }
            )
        return pd.DataFrame(rows)

    def solve(
        self, method: str, p: int = 1, time_limit_s: float = 30.0, **kwargs: Any
    ) -> SitingResult:
        """Dispatch to a solver by name (``enumerate``, ``greedy``, ``exact``, ``maximin``)."""
        if method == "enumerate":
            if p != 1:
                raise ValueError(
                    "Opptelling («enumerate») gjelder bare p = 1; bruk greedy eller exact."
                )
            return self.solve_enumeration()
        if method == "greedy":
            return self.solve_greedy(p)
        if method == "exact":
            return self.solve_exact(p, time_limit_s)
        if method == "maximin":
            return self.solve_maximin(p, time_limit_s, **kwargs)
        raise ValueError(f"Ukjent metode «{method}»; bruk {', '.join(METHODS)}.")


# ---------------------------------------------------------------------- HiGHS helpers
def _mclp_matrices(reduced: sp.csr_array, p: int) -> sp.csr_array:
    """Constraint matrix over columns [x (m), y (k)]: rows ``y_i - Σ_{j∈N_i} x_j`` then ``Σ x_j``."""
    k, m = reduced.shape
    cover = sp.hstack([-reduced.astype(float), sp.eye_array(k, format="csr")], format="csr")
    cardinality = sp.csr_array(
        (np.ones(m), (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, m + k)
    )
    return sp.csr_array(sp.vstack([cover, cardinality], format="csr"))


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner when the first instance is made)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_IPM_ROWS = 5000
"""Above this many constraint rows HiGHS solves the MIP's LPs by interior point."""


def _solve_highs(
    *,
    n_x: int,
    cost: np.ndarray,
    upper: np.ndarray,
    matrix: Any,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray | None,
    time_limit_s: float,
    mip_rel_gap: float,
    p: int | None,
    lower: np.ndarray | None = None,
    maximise: bool = True,
    presolve: str = "off",
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """Optimise ``cost @ v`` with the first ``n_x`` columns binary.

    Returns the chosen x positions (the ``p`` largest when ``p`` is given), solver info and all
    column values.
    """
    import highspy

    csc = sp.csc_array(matrix)
    csc.sort_indices()
    n_cols = csc.shape[1]
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = csc.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n_cols) if lower is None else np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = csc.shape[0]
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x + [highspy.HighsVarType.kContinuous] * (
        n_cols - n_x
    )
    with _stdout_silenced():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", 1)
    # HiGHS's presolve spends seconds on these covering models (p = 1 at 750 m: 2.3 s with, 0.07 s
    # without, same optimum); the reduction above already removes what presolve would find.
    h.setOptionValue("presolve", presolve)
    if csc.shape[0] > _IPM_ROWS:
        # Large covering LPs are highly degenerate: dual simplex did not finish the root LP of
        # 18 686 rows × 2 859 candidates in 30 s; the interior-point solver does it in ~9 s.
        h.setOptionValue("mip_lp_solver", "ipm")
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(np.asarray(start, dtype=float))
        solution.value_valid = True
        h.setSolution(solution)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value, dtype=float)
    if len(values) < n_x:
        raise RuntimeError(f"HiGHS fant ingen løsning ({status}).")
    x = values[:n_x]
    chosen = np.flatnonzero(x > 0.5)
    if p is not None and len(chosen) != p:  # numerical safety: keep the p largest
        chosen = np.sort(np.argsort(-x, kind="stable")[:p])
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("nan")
    if status == "Optimal" and not np.isfinite(gap):
        gap = 0.0
    return (
        chosen,
        {
            "status": status,
            "objective": objective,
            "bound": bound,
            "gap": max(gap, 0.0) if np.isfinite(gap) else gap,
            "time_limit_s": float(time_limit_s),
            "nodes": int(info.mip_node_count),
        },
        values,
    )


def _balance_greedy(
    reduced: sp.csr_array,
    weights: np.ndarray,
    row_groups: np.ndarray,
    per_group: pd.DataFrame,
    p: int,
) -> list[int]:
    """Greedy start for maximin: each step the site that most raises the lowest group share.

    Ties (e.g. when the minimum cannot move yet) go to the larger total gain. A heuristic only:
    it gives HiGHS a good first incumbent, so a time-limited solve returns something sensible.
    """
    group_pos = {g: r for r, g in enumerate(per_group.index)}
    member = np.array([group_pos.get(g, -1) for g in row_groups])
    inside = member >= 0
    n_groups = len(per_group)
    one_hot = sp.csr_array(
        (np.ones(int(inside.sum())), (np.flatnonzero(inside), member[inside])),
        shape=(len(weights), n_groups),
    )
    by_column = sp.csc_array(reduced.astype(float))
    covered = per_group["c"].to_numpy(dtype=float).copy()
    totals = per_group["w"].to_numpy(dtype=float)
    remaining = weights.copy()
    chosen: list[int] = []
    for _ in range(p):
        gains = np.asarray((by_column.T @ (one_hot * remaining[:, None])).toarray())
        min_after = ((covered[None, :] + gains) / totals[None, :]).min(axis=1)
        total_gain = np.asarray(by_column.T @ remaining).ravel()
        min_after[chosen] = -np.inf
        best = np.flatnonzero(min_after >= min_after.max() - 1e-12)
        j = int(best[np.argmax(total_gain[best])])
        chosen.append(j)
        covered += gains[j]
        remaining[by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]]] = 0.0
    return chosen


def _min_hitting_set(reduced: sp.csr_array, row_groups: np.ndarray, targets: list[Any]) -> float:
    """Fewest candidates that reach (newly cover someone in) every target group; ``inf`` if none can."""
    if not targets:
        return 0.0
    m = reduced.shape[1]
    touches = np.zeros((len(targets), m), dtype=bool)
    for r, group in enumerate(targets):
        rows = np.flatnonzero(row_groups == group)
        if len(rows):
            touches[r] = np.asarray(reduced[rows].sum(axis=0)).ravel() > 0
    if not touches.any(axis=1).all():
        return float("inf")
    _, info, values = _solve_highs(
        n_x=m,
        cost=np.ones(m),
        upper=np.ones(m),
        matrix=sp.csc_array(touches.astype(float)),
        row_lower=np.ones(len(targets)),
        row_upper=np.full(len(targets), np.inf),
        start=None,
        time_limit_s=10.0,
        mip_rel_gap=0.0,
        p=None,
        maximise=False,
    )
    return float(np.round(values[:m].sum())) if info["status"] == "Optimal" else 1.0


# ---------------------------------------------------------------------- geometry helpers
def _to_analysis_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        return gdf.set_crs(settings.ANALYSIS_CRS)
    return gdf.to_crs(settings.ANALYSIS_CRS) if gdf.crs != settings.ANALYSIS_CRS else gdf


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = gdf.geometry
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]).astype(float).reshape(-1, 2)


def _candidate_ids(cand: gpd.GeoDataFrame, id_col: str | None) -> list[Any]:
    for column in (id_col, "candidate_id", "id", "name"):
        if column and column in cand.columns:
            return cand[column].tolist()
    return list(range(len(cand)))


def _engine_coverage(engine: Any, cand_xy: np.ndarray, threshold_m: float) -> sp.csr_array:
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
    from geo.boundaries import assign_bydel

    if spacing_m <= 0:
        raise ValueError("Avstanden mellom rutenettpunktene må være større enn 0 m.")
    areas = _select_bydeler(_to_analysis_crs(bydeler_gdf), within_codes)
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
    from geo.boundaries import assign_bydel

    xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
    areas = _select_bydeler(_to_analysis_crs(bydeler_gdf), within_codes)
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


def _select_bydeler(
    bydeler: gpd.GeoDataFrame, within_codes: Sequence[str] | None
) -> gpd.GeoDataFrame:
    from geo.names import normalise_bydel, suggest_bydel

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
        Polygons (or any geometries) where no site may be placed; any CRS (EPSG:4326 assumed
        when missing and the coordinates look like degrees).
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
    if zones.crs is None:
        minx, miny, maxx, maxy = zones.total_bounds
        looks_degrees = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        zones = zones.set_crs(settings.DISPLAY_CRS if looks_degrees else settings.ANALYSIS_CRS)
    zones = zones.to_crs(settings.ANALYSIS_CRS)
    geoms = zones.geometry[~(zones.geometry.isna() | zones.geometry.is_empty)]
    cand = _to_analysis_crs(candidates)
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


# ---------------------------------------------------------------------- explanation
@dataclass
class SuggestionExplanation:
    """Why the suggested sites were chosen and what they change.

    Attributes
    ----------
    sites
        One row per suggested site, in the order chosen: ``candidate_id``, ``x``, ``y``,
        ``bydel_code``, ``bydel``, ``new_weight`` (newly within reach, counted in the order chosen
        so the rows add up to the total), ``alone_weight`` (if this site were the only new one),
        ``gaining_bydeler`` (text), ``nearest_existing``, ``nearest_existing_m`` (straight line).
    by_bydel
        :attr:`SitingResult.by_group`.
    balance
        ``metric``, ``label``, ``before``, ``after``, ``change``, ``help``.
    lines
        A short bokmål summary for the app and the CLI.

    """

    sites: pd.DataFrame
    by_bydel: pd.DataFrame
    balance: pd.DataFrame
    lines: list[str]


def _count(value: float) -> str:
    """A whole number with a space as thousands separator (Norwegian style)."""
    return f"{value:,.0f}".replace(",", "\u00a0")


def _balance_table(
    model: CoverageModel, by_group: pd.DataFrame, share_col: str, services: pd.Series
) -> pd.DataFrame:
    table = by_group[["bydel_code", "weight"]].rename(columns={"weight": "population"}).copy()
    table["share"] = by_group[share_col].fillna(0.0).to_numpy()
    table["n_services"] = table["bydel_code"].map(services).fillna(0).to_numpy()
    return table


def explain_suggestion(
    model: CoverageModel,
    result: SitingResult,
    groups: pd.Series | Mapping[str, str] | None = None,
    weight_label: str = "innbyggere",
) -> SuggestionExplanation:
    """Explain a suggestion: gains per site and bydel, balance before/after, distance to brukerrom.

    Parameters
    ----------
    model
        The model the result came from (existing services in ``model.existing_*``).
    result
        Output of any solver.
    groups
        Bydel code → group for the Theil split; ``data/bydel_groups.csv`` when ``None``.
    weight_label
        What the weights count (``innbyggere`` or ``brukere``) for the text.

    """
    idx = result.chosen_index
    by_column = sp.csc_array(model.coverage)
    open_rows = ~model.already_covered
    sites = []
    reached = np.zeros(model.n_demand, dtype=bool)
    for j in idx:
        column = np.zeros(model.n_demand, dtype=bool)
        column[by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]]] = True
        alone = column & open_rows
        new = alone & ~reached
        reached |= column
        gain_by = (
            pd.Series(model.weights[new])
            .groupby(model.groups[new])
            .sum()
            .sort_values(ascending=False)
        )
        xy = model.candidate_xy[j] if model.candidate_xy is not None else np.array([np.nan, np.nan])
        nearest_name, nearest_m = "", float("nan")
        if len(model.existing_xy) and np.isfinite(xy).all():
            dist = np.hypot(*(model.existing_xy - xy).T)
            k = int(np.argmin(dist))
            nearest_name, nearest_m = model.existing_names[k], float(dist[k])
        code = model.candidate_groups[j] if model.candidate_groups is not None else None
        sites.append(
            {
                "candidate_id": model.candidate_ids[j],
                "x": float(xy[0]),
                "y": float(xy[1]),
                "bydel_code": code,
                "bydel": BYDEL_CODES.get(code, code) if code is not None else None,
                "new_weight": float(model.weights[new].sum()),
                "alone_weight": float(model.weights[alone].sum()),
                "gaining_bydeler": ", ".join(
                    f"{BYDEL_CODES.get(str(c), str(c))}: {_count(v)}"
                    for c, v in gain_by.items()
                    if v > 0
                ),
                "nearest_existing": nearest_name,
                "nearest_existing_m": nearest_m,
            }
        )
    site_frame = pd.DataFrame(sites)
    grouping = balance.load_bydel_groups() if groups is None else pd.Series(groups)
    before_services = pd.Series(model.existing_groups, dtype=object).value_counts()
    added = [model.candidate_groups[j] for j in idx] if model.candidate_groups is not None else []
    after_services = pd.Series(list(model.existing_groups) + added, dtype=object).value_counts()
    has_services = bool(len(model.existing_groups)) or bool(added)
    service_col = "n_services" if has_services else None
    summaries = []
    for share_col, services in (("share_before", before_services), ("share_after", after_services)):
        table = _balance_table(model, result.by_group, share_col, services)
        summaries.append(
            balance.balance_summary(table, "share", "population", grouping, service_col)
        )
    before, after = summaries
    balance_frame = before[["metric", "label"]].copy()
    balance_frame["before"] = before["value"].to_numpy()
    balance_frame["after"] = after["value"].to_numpy()
    balance_frame["change"] = balance_frame["after"] - balance_frame["before"]
    balance_frame["help"] = before["help"].to_numpy()
    sites_word = "nytt sted gir" if len(idx) == 1 else "nye steder gir"
    lines = [
        f"{len(idx)} {sites_word} {_count(result.newly_covered)} flere {weight_label} innen "
        f"{model.threshold_m:.0f} m (fra {result.share_before:.1%} til {result.share_after:.1%} "
        "av hele byen)."
    ]
    for row in sites:
        where = f" i {row['bydel']}" if row["bydel"] else ""
        dist = (
            f"; {_count(row['nearest_existing_m'])} m i luftlinje fra {row['nearest_existing']}"
            if np.isfinite(row["nearest_existing_m"])
            else ""
        )
        lines.append(
            f"• {row['candidate_id']}{where}: +{_count(row['new_weight'])} {weight_label}"
            + (f" ({row['gaining_bydeler']})" if row["gaining_bydeler"] else "")
            + dist
        )
    gini = balance_frame.set_index("metric").loc["gini"]
    lines.append(
        f"Gini for dekningsandel per bydel: {gini['before']:.3f} → {gini['after']:.3f}; "
        f"laveste bydelsandel {result.by_group['share_before'].min():.1%} → "
        f"{result.min_share_after:.1%}."
    )
    return SuggestionExplanation(site_frame, result.by_group, balance_frame, lines)


# ---------------------------------------------------------------------- high-level entry
@dataclass
class Suggestion:
    """Everything :func:`suggest_sites` produced (for the app and the CLI)."""

    model: CoverageModel
    result: SitingResult
    explanation: SuggestionExplanation
    candidates: gpd.GeoDataFrame
    notes: list[str]


def suggest_sites(
    study: Study,
    engine: DistanceEngine,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    p: int = 1,
    method: str = "greedy",
    categories: Sequence[str] | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    grid_m: float | None = None,
    within_codes: Sequence[str] | None = None,
    exclusion: gpd.GeoDataFrame | None = None,
    exclusion_buffer_m: float = 0.0,
    weights: np.ndarray | None = None,
    time_limit_s: float = 30.0,
    balance_level: str = "bydel",
) -> Suggestion:
    """Suggest *p* new sites for a study: candidates, model, solve, explain.

    Parameters
    ----------
    study
        Loaded reference data (:class:`geo.metrics.Study`).
    engine
        Distance engine over ``study.demand``.
    threshold_m
        Coverage threshold, metres.
    p
        Number of new sites.
    method
        ``enumerate`` (p = 1), ``greedy``, ``exact`` or ``maximin``.
    categories
        Service categories that count as existing coverage (e.g. ``["brukerrom"]`` for
        Brukerrom 2); all when ``None``.
    candidates
        Candidate points (uploaded); when ``None`` a grid of ``grid_m`` metres (250 m default)
        inside ``within_codes`` is generated.
    grid_m, within_codes
        See :func:`grid_candidates`.
    exclusion, exclusion_buffer_m
        See :func:`exclude_zones`.
    weights
        Demand weights replacing residents (user data).
    time_limit_s
        HiGHS time limit for ``exact`` and ``maximin``.
    balance_level
        For ``maximin``: ``bydel`` (minimum over bydeler) or ``group`` (over the bydel groups of
        ``data/bydel_groups.csv``).

    """
    from geo.metrics import with_bydel
    from geo.services import located

    if method not in METHODS:
        raise ValueError(f"Ukjent metode «{method}»; bruk {', '.join(METHODS)}.")
    notes: list[str] = []
    if candidates is None or len(candidates) == 0:
        if candidates is not None:
            raise ValueError("Kandidatfilen har ingen steder med koordinater.")
        spacing = grid_m or 250.0
        cand = grid_candidates(study.bydeler, spacing, within_codes, exclusion, exclusion_buffer_m)
        notes.append(
            f"Kandidater: rutenett med {spacing:g} m mellom punktene"
            + (
                f" i {', '.join(BYDEL_CODES.get(c, c) for c in within_codes)}"
                if within_codes
                else ""
            )
            + f" ({len(cand)} punkter)."
        )
    else:
        cand = with_bydel(_to_analysis_crs(candidates), study.bydeler)
        if within_codes:
            keep = _select_bydeler(study.bydeler, within_codes)["bydel_code"]
            cand = cand[cand["bydel_code"].isin(set(keep))]
        if exclusion is not None and len(exclusion):
            cand = exclude_zones(cand, exclusion, exclusion_buffer_m)
        notes.append(f"Kandidater: {len(cand)} steder fra fil.")
        if "coord_quality" in cand.columns and (cand["coord_quality"] == "fiktiv").any():
            notes.append(
                f"{int((cand['coord_quality'] == 'fiktiv').sum())} av kandidatene er FIKTIVE "
                "eksempler (ikke forslag fra Oslo kommune)."
            )
    if exclusion is not None and len(exclusion):
        notes.append(f"Utelukkede soner fjernet {cand.attrs.get('excluded', 0)} kandidater.")
    if len(cand) < p:
        raise ValueError(f"Det er bare {len(cand)} kandidater; kan ikke velge {p}.")
    existing = located(study.services, list(categories) if categories else None)
    demand = study.demand if weights is None else study.demand.assign(weight=weights)
    model = CoverageModel.from_geodataframe(
        demand, cand, engine, threshold_m, existing_sites=existing
    )
    kwargs: dict[str, Any] = {}
    if method == "maximin" and balance_level == "group":
        kwargs["group_map"] = balance.load_bydel_groups().to_dict()
    result = model.solve(method, p, time_limit_s, **kwargs)
    explanation = explain_suggestion(
        model, result, weight_label="innbyggere" if weights is None else "brukere"
    )
    if not len(existing):
        notes.append("Ingen eksisterende tilbud i de valgte kategoriene har kjent plassering.")
    return Suggestion(model, result, explanation, cand, notes + result.notes)


# ---------------------------------------------------------------------- CLI
def add_cli(subparsers: Any) -> None:
    """Register ``oslo-coverage suggest``."""
    from geo.cli import add_common_analysis_args

    parser = subparsers.add_parser(
        "suggest",
        help="foreslå nye steder som gir flest nye innbyggere/brukere innen terskelen",
    )
    add_common_analysis_args(parser)
    parser.add_argument("--p", type=int, default=1, help="antall nye steder (standard 1)")
    parser.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="enumerate (p=1), greedy, exact (HiGHS) eller maximin (balanse); "
        "standard: enumerate for p=1, ellers greedy",
    )
    parser.add_argument("--grid", type=float, help="lag kandidater på et rutenett med N m avstand")
    parser.add_argument(
        "--bydeler", help="kommaseparerte bydeler (navn eller koder) kandidatene skal ligge i"
    )
    parser.add_argument("--exclude", help="fil med soner der nye steder ikke kan ligge")
    parser.add_argument("--exclude-buffer", type=float, default=0.0, help="avstand fra sonene (m)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="tidsgrense for HiGHS (s)")
    parser.add_argument(
        "--balance-level",
        choices=["bydel", "group"],
        default="bydel",
        help="maximin over bydeler eller over bydelsgrupper (data/bydel_groups.csv)",
    )
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--out", help="skriv resultatet til fil")
    parser.set_defaults(func=_cli_suggest)

    q = subparsers.add_parser(
        "balance",
        help="balansemål for dagens tilbud: Gini, Theil (innen/mellom bydelsgrupper), "
        "Herfindahl, LQ, andel i indre by",
    )
    add_common_analysis_args(q)
    q.add_argument(
        "--measure",
        choices=list(ACCESS_MEASURES),
        default="share",
        help="tilgangsmål per bydel: share (andel innen terskel), median (medianavstand), "
        "access (2SFCA)",
    )
    q.add_argument("--groups", help="egen fil med bydelsgrupper (standard data/bydel_groups.csv)")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument("--out", help="skriv resultatet til fil")
    q.set_defaults(func=_cli_balance)


ACCESS_MEASURES = {
    "share": "share_within_threshold",
    "median": "median_distance_m",
    "access": "access_per_10k",
}
"""``--measure`` → column of the per-bydel table used as the access value."""


def current_balance(
    study: Study,
    engine: DistanceEngine,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    categories: Sequence[str] | None = None,
    measure: str = "share",
    weights: np.ndarray | None = None,
    groups: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balance metrics of today's services, and the per-bydel table they were computed from.

    Parameters
    ----------
    study, engine, threshold_m, categories, weights
        As in :func:`geo.metrics.coverage_table`.
    measure
        ``share`` (share within the threshold), ``median`` (median distance, metres; higher is
        worse) or ``access`` (2SFCA index per 10 000, :mod:`geo.access`).
    groups
        Bydel grouping; ``data/bydel_groups.csv`` when ``None``.

    Returns
    -------
    (summary, table)
        :func:`geo.balance.balance_summary` output and the per-bydel table with the chosen
        access column, ``population``, ``n_services`` and ``location_quotient``.

    """
    from geo.metrics import coverage_table

    if measure not in ACCESS_MEASURES:
        raise ValueError(f"Ukjent tilgangsmål «{measure}»; bruk {', '.join(ACCESS_MEASURES)}.")
    table = coverage_table(
        study, list(categories) if categories else None, threshold_m, engine, weights=weights
    )
    column = ACCESS_MEASURES[measure]
    if measure == "access":
        from geo.access import access_by_bydel, accessibility
        from geo.services import located, site_xy

        w = study.demand["weight"].to_numpy(dtype=float) if weights is None else weights
        index = accessibility(
            engine,
            w,
            site_xy(located(study.services, list(categories) if categories else None)),
            threshold_m,
        )
        access = access_by_bydel(index, w, study.demand["bydel_code"].to_numpy())
        table = table.merge(access[["bydel_code", column]], on="bydel_code", how="left")
    summary = balance.balance_summary(table, column, "population", groups)
    lq = summary.attrs["location_quotient"]
    table = table.assign(location_quotient=table["bydel_code"].map(lq))
    summary.attrs.update(measure=measure, threshold_m=threshold_m)
    return summary, table


def _cli_balance(args: argparse.Namespace) -> int:
    from geo.cli import build_study_and_engine, parse_categories, threshold_from_args, user_weights

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    weights = user_weights(study, args)
    groups = balance.load_bydel_groups(args.groups) if args.groups else None
    summary, table = current_balance(
        study, engine, threshold, categories, args.measure, weights, groups
    )
    column = ACCESS_MEASURES[args.measure]
    rows = table[(table["bydel_code"] != "0301") & (table["population"] > 0)]
    rows = rows[np.isfinite(rows[column].astype(float))]
    lorenz = balance.lorenz_curve(rows[column].astype(float), rows["population"].astype(float))
    notes = [
        f"Avstand: {engine.note}",
        f"Terskel: {threshold:.0f} m · tilgangsmål: {column} · vekt: "
        + ("brukerdata" if weights is not None else "innbyggere"),
    ]
    if args.format == "json":
        text = json.dumps(
            {
                "notes": notes,
                "metrics": json.loads(summary.to_json(orient="records", force_ascii=False)),
                "theil_by_group": json.loads(
                    summary.attrs["theil_by_group"].to_json(orient="records", force_ascii=False)
                ),
                "lorenz": json.loads(lorenz.to_json(orient="records")),
            },
            ensure_ascii=False,
            indent=2,
        )
    elif args.format == "csv":
        for line in notes:
            print(line, file=sys.stderr)
        text = summary.to_csv(index=False)
    else:
        shown = table[["bydel", column, "n_services", "location_quotient"]].copy()
        text = "\n".join(
            [
                *notes,
                "",
                summary[["label", "value"]].to_string(index=False, float_format="{:.4f}".format),
                "",
                shown.to_string(index=False, float_format="{:.3f}".format),
            ]
        )
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"Skrev {args.out}")
    else:
        print(text)
    return 0


def _read_zones(path: str) -> gpd.GeoDataFrame:
    from pathlib import Path

    from geo.io import InputError, Problem

    try:
        zones = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(
            Problem(Path(path).name, None, None, f"Kunne ikke lese sonene: {exc}")
        ) from None
    if zones.empty or zones.geometry.isna().all():
        raise InputError(Problem(Path(path).name, None, "geometry", "Filen har ingen geometrier."))
    return zones


def _cli_suggest(args: argparse.Namespace) -> int:
    from geo.cli import build_study_and_engine, parse_categories, threshold_from_args, user_weights
    from geo.io import InputError, Problem
    from geo.services import load_candidates

    method = args.method or ("enumerate" if args.p == 1 else "greedy")
    if method == "enumerate" and args.p != 1:
        raise InputError(Problem("--method", None, None, "enumerate gjelder bare --p 1."))
    if args.p < 1:
        raise InputError(Problem("--p", None, None, "Antall nye steder må være minst 1."))
    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    for problem in study.problems:
        print(str(problem), file=sys.stderr)
    candidates = None
    if args.candidates:
        loaded = load_candidates(args.candidates)
        for problem in loaded.problems:
            print(str(problem), file=sys.stderr)
        candidates = loaded.frame
        if len(candidates) == 0:
            raise InputError(
                Problem(args.candidates, None, None, "Ingen kandidatsteder med koordinater.")
            )
    within = [part.strip() for part in args.bydeler.split(",")] if args.bydeler else None
    exclusion = _read_zones(args.exclude) if args.exclude else None
    weights = user_weights(study, args)
    suggestion = suggest_sites(
        study,
        engine,
        threshold,
        args.p,
        method,
        categories,
        candidates=candidates,
        grid_m=args.grid,
        within_codes=within,
        exclusion=exclusion,
        exclusion_buffer_m=args.exclude_buffer,
        weights=weights,
        time_limit_s=args.time_limit,
        balance_level=args.balance_level,
    )
    text = _format_suggestion(suggestion, args.format, user_data=weights is not None)
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"Skrev {args.out}")
    else:
        print(text)
    return 0


def _protect(
    frame: pd.DataFrame,
    columns: list[str],
    user_data: bool,
    derived: Mapping[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Hide counts below 5 (and shares computed from them) when the weights are user data."""
    if not user_data:
        return frame
    from geo.privacy import suppress_small_counts

    present = [c for c in columns if c in frame.columns]
    return suppress_small_counts(frame, present, protect_totals=False, derived=derived)


def _percent(value: object) -> str:
    if isinstance(value, (int, float)):
        return f"{value:.1%}" if np.isfinite(value) else "–"
    return str(value)


def _format_suggestion(suggestion: Suggestion, fmt: str, user_data: bool = False) -> str:
    result, explanation = suggestion.result, suggestion.explanation
    count_cols = ["weight", "covered_before", "newly_covered", "covered_after"]
    by_bydel = _protect(
        explanation.by_bydel,
        count_cols,
        user_data,
        derived={
            "share_before": ["weight", "covered_before"],
            "share_after": ["weight", "covered_after"],
        },
    )
    sites = _protect(explanation.sites, ["new_weight", "alone_weight"], user_data)
    if user_data:
        sites = sites.drop(columns=["gaining_bydeler"])
    solver = {k: v for k, v in result.solver.items() if not isinstance(v, np.ndarray)}
    if user_data:  # objective values are user counts; shown only through the protected tables
        solver = {
            k: v
            for k, v in solver.items()
            if k not in {"objective", "bound", "phase1", "phase2", "marginal_gains"}
        }
    if fmt == "json":
        payload = {
            "method": result.method,
            "p": result.p,
            "chosen": [str(c) for c in result.chosen],
            "newly_covered": None
            if user_data and 0 < result.newly_covered < 5
            else result.newly_covered,
            "share_before": result.share_before,
            "share_after": result.share_after,
            "solver": solver,
            "notes": suggestion.notes,
            "sites": json.loads(sites.to_json(orient="records", force_ascii=False)),
            "by_bydel": json.loads(by_bydel.to_json(orient="records", force_ascii=False)),
            "balance": json.loads(explanation.balance.to_json(orient="records", force_ascii=False)),
        }
        return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    if fmt == "csv":
        for line in suggestion.notes:
            print(line, file=sys.stderr)
        return sites.to_csv(index=False)
    lines = [METHOD_LABELS[result.method], *suggestion.notes, ""]
    if not user_data:
        lines += explanation.lines
    lines.append(
        "Løser: "
        + ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in solver.items()
            if k in {"status", "objective", "bound", "gap", "time_s", "n_rows_reduced", "min_share"}
        )
    )
    lines += ["", "Per bydel:"]
    shown = by_bydel[["bydel", "weight", "newly_covered", "share_before", "share_after"]].copy()
    shown.columns = ["Bydel", "Vekt", "Nye innen", "Andel før", "Andel etter"]
    for column in ("Andel før", "Andel etter"):
        shown[column] = [_percent(v) for v in shown[column]]
    if not user_data:
        for column in ("Vekt", "Nye innen"):
            shown[column] = [_count(v) for v in shown[column]]
    lines.append(shown.to_string(index=False))
    lines += ["", "Balanse (dekningsandel per bydel, veid):"]
    bal = explanation.balance[["label", "before", "after", "change"]].copy()
    bal.columns = ["Mål", "Før", "Etter", "Endring"]
    lines.append(bal.to_string(index=False, float_format="{:.4f}".format))
    return "\n".join(lines)


def chosen_sites(suggestion: Suggestion, crs: str = settings.DISPLAY_CRS) -> gpd.GeoDataFrame:
    """The suggested sites as points (EPSG:4326 by default, for the app's map) with their explanation.

    Columns are those of :attr:`SuggestionExplanation.sites` plus ``rank`` (order chosen) and
    ``note`` stating that these are suggestions from the model, not decided locations.
    """
    sites = suggestion.explanation.sites.copy()
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    sites["note"] = "Forslag fra dekningsmodellen – ikke et vedtatt eller vurdert sted."
    frame = gpd.GeoDataFrame(
        sites,
        geometry=shapely.points(sites["x"].to_numpy(), sites["y"].to_numpy()),
        crs=settings.ANALYSIS_CRS,
    )
    return frame.to_crs(crs)
