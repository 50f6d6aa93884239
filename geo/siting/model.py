r"""The coverage model: maximal covering of demand by new sites, with existing services locked in.

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

The model is built once (:meth:`CoverageModel.from_cost_matrix`,
:meth:`CoverageModel.from_geodataframe`); the solvers live in :mod:`geo.siting.mclp` and
:mod:`geo.siting.maximin` and are called through the model's ``solve_*`` methods.
:func:`geo.siting.explain.explain_suggestion` says what a choice changes, and
:func:`geo.siting.suggest.suggest_sites` ties candidates, model, solver and explanation together
for the CLI (``oslo-coverage suggest``) and the app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo import settings
from geo.distance import DistanceEngine
from geo.geom import to_analysis_crs, xy_of
from geo.labels import GREEDY_GUARANTEE, format_share
from geo.names import BYDEL_CODES
from geo.siting import maximin, mclp
from geo.siting._reduce import merge_identical_rows
from geo.siting.candidates import candidate_ids_of, coverage_matrix

__all__ = [
    "BRUKERROM",
    "METHODS",
    "CoverageModel",
    "SiteContext",
    "SitingResult",
    "stopped_note",
]

_GROUP = "zone_code"
"""Demand, candidate and service column that says which zone (group) a row belongs to."""


METHODS = ("enumerate", "greedy", "exact", "maximin")


def _share(value: Any) -> str:
    number = float(value) if isinstance(value, (int, float)) else float("nan")
    return format_share(number, 1) if np.isfinite(number) else "ukjent"


def stopped_note(solver: dict[str, Any]) -> str | None:
    """What a planner must know when HiGHS stopped at its time limit (``None`` when optimal).

    The gap is the coverage objective's relative distance to the best bound; the balance model
    also states the lowest group share found and the most it could be.
    """
    if str(solver.get("status", "Optimal")) == "Optimal":
        return None
    limit = solver.get("time_limit_s")
    when = f"ved tidsgrensen ({float(limit):g} s)" if limit else f"({solver.get('status')})"
    text = f"Løseren stoppet {when} før beste svar var bevist: gap {_share(solver.get('gap'))}"
    if "min_share_bound" in solver:
        text += (
            f"; laveste gruppeandel i forslaget {_share(solver.get('min_share'))}, beste mulige "
            f"høyst {_share(solver.get('min_share_bound'))}"
        )
    return text + ". Forslaget er gyldig, men en lengre tidsgrense kan gi et bedre."


BRUKERROM = "brukerrom"


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


@dataclass(frozen=True)
class SiteContext:
    """Where the candidates and the locked-in existing services are (for explanations).

    Attributes
    ----------
    candidate_xy, candidate_groups
        Candidate coordinates (EPSG:25832) and bydel codes.
    existing_xy, existing_groups, existing_names
        The existing services locked in: coordinates, bydel codes, names.

    """

    candidate_xy: np.ndarray | None = None
    candidate_groups: Sequence[Any] | None = None
    existing_xy: np.ndarray | None = None
    existing_groups: Sequence[Any] | None = None
    existing_names: Sequence[str] | None = None
    group_names: Mapping[str, str] | None = None


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
        Zone code of every demand point (n_demand,), for per-zone tables and maximin.
    candidate_ids
        One id per candidate; ``0..m-1`` by default.
    threshold_m
        The threshold the coverage matrix was built with (for notes).
    candidate_xy, candidate_groups
        Candidate coordinates (EPSG:25832) and bydel codes, used by :func:`explain_suggestion`.
    sites
        Where the candidates and the existing services are (:class:`SiteContext`), used by
        :func:`geo.siting.explain.explain_suggestion`.
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
        sites: SiteContext | None = None,
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
        sites = sites or SiteContext()
        self.candidate_xy = (
            None if sites.candidate_xy is None else np.asarray(sites.candidate_xy, float)
        )
        self.candidate_groups = (
            None if sites.candidate_groups is None else list(sites.candidate_groups)
        )
        self.existing_xy = (
            np.zeros((0, 2))
            if sites.existing_xy is None
            else np.asarray(sites.existing_xy, float).reshape(-1, 2)
        )
        self.existing_groups = [] if sites.existing_groups is None else list(sites.existing_groups)
        self.existing_names = (
            [f"tilbud {k + 1}" for k in range(len(self.existing_xy))]
            if sites.existing_names is None
            else list(sites.existing_names)
        )
        self.group_names = dict(sites.group_names or {})
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
        id_col
            Column of ``candidates_gdf`` with the candidate ids (see above).
        coverage
            A precomputed demand × candidate within-threshold matrix (e.g.
            :func:`geo.whatif.candidate_coverage` ``.matrix`` or ``NetworkEngine.within``);
            computed with ``engine.within`` when ``None``.

        """
        cand = to_analysis_crs(candidates_gdf)
        cand_xy = xy_of(cand)
        ids = candidate_ids_of(cand, id_col)
        if coverage is None:
            coverage = coverage_matrix(engine, cand_xy, threshold_m)
        covered = np.zeros(len(demand_gdf), dtype=bool)
        existing_xy = np.zeros((0, 2))
        existing_groups: list[Any] = []
        existing_names: list[str] = []
        if existing_sites is not None and len(existing_sites):
            existing = to_analysis_crs(existing_sites)
            existing = existing[~(existing.geometry.isna() | existing.geometry.is_empty)]
            existing_xy = xy_of(existing)
            if len(existing_xy):
                covered = np.asarray(engine.nearest(existing_xy), dtype=float) <= threshold_m
            existing_groups = existing[_GROUP].tolist() if _GROUP in existing else []
            existing_names = existing["name"].astype(str).tolist() if "name" in existing else []
        return cls.from_cost_matrix(
            coverage,
            demand_gdf["weight"].to_numpy(dtype=float),
            threshold_m,
            already_covered=covered,
            groups=demand_gdf[_GROUP].to_numpy(dtype=object) if _GROUP in demand_gdf else None,
            candidate_ids=ids,
            sites=SiteContext(
                candidate_xy=cand_xy,
                candidate_groups=cand[_GROUP].tolist() if _GROUP in cand else None,
                existing_xy=existing_xy,
                existing_groups=existing_groups or None,
                existing_names=existing_names or None,
                group_names=(
                    dict(zip(demand_gdf[_GROUP], demand_gdf["zone"], strict=True))
                    if {_GROUP, "zone"} <= set(demand_gdf.columns)
                    else None
                ),
            ),
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

    def open_weights(self) -> np.ndarray:
        """Weights of the points not yet covered (0 for covered ones)."""
        return np.where(self.already_covered, 0.0, self.weights)

    def reduced(
        self, group_labels: np.ndarray | None = None
    ) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
        """Rows that can still change, with identical rows merged (see class docstring).

        Returns the reduced coverage matrix (k × m), its weights and the group label per row.
        """
        open_w = self.open_weights()
        labels = self.groups if group_labels is None else group_labels
        reduced, weights, first = merge_identical_rows(
            self.coverage, open_w, None if group_labels is None else labels
        )
        return reduced, weights, np.asarray(labels, dtype=object)[first]

    def check_p(self, p: int) -> int:
        """``p`` as a whole number ≥ 1 and at most the number of candidates (else ValueError)."""
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
        """Per-zone weight, covered before, newly covered, covered after and the shares."""
        new = self.newly_covered(chosen_index)
        frame = pd.DataFrame(
            {
                "zone_code": self.groups,
                "weight": self.weights,
                "covered_before": np.where(self.already_covered, self.weights, 0.0),
                "newly_covered": np.where(new, self.weights, 0.0),
            }
        )
        out = frame.groupby("zone_code", sort=True).sum().reset_index()
        names = {**BYDEL_CODES, **self.group_names}
        out.insert(1, "zone", out["zone_code"].map(lambda c: names.get(c, str(c))))
        out["covered_after"] = out["covered_before"] + out["newly_covered"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_before"] = out["covered_before"] / out["weight"]
            out["share_after"] = out["covered_after"] / out["weight"]
        return out

    def result(
        self,
        method: str,
        chosen_index: Sequence[int] | np.ndarray,
        solver: dict[str, Any],
        ranking: pd.DataFrame | None = None,
    ) -> SitingResult:
        """The :class:`SitingResult` of a solver's choice, with the notes every output shows."""
        idx = np.asarray(chosen_index, dtype=np.int64)
        notes = [
            f"Terskel: {self.threshold_m:.0f} m. {self.distance_note}".strip(),
            "Eksisterende tilbud er låst; bare nye steder velges.",
        ]
        if method == "greedy":
            notes.append(GREEDY_GUARANTEE.format(p=len(idx), bound=solver["guarantee"]))
        stopped = stopped_note(solver) if method in {"exact", "maximin"} else None
        if stopped:
            notes.append(stopped)
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
        reduced, weights, _ = self.reduced()
        return (
            np.asarray(reduced.T.astype(float) @ weights).ravel()
            if len(weights)
            else np.zeros(self.n_candidates)
        )

    def solve_enumeration(self) -> SitingResult:
        """Best single new site (*p* = 1); see :func:`geo.siting.mclp.solve_enumeration`."""
        return mclp.solve_enumeration(self)

    def solve_greedy(self, p: int) -> SitingResult:
        """Greedy *p* sites; see :func:`geo.siting.mclp.solve_greedy`."""
        return mclp.solve_greedy(self, p)

    def solve_exact(
        self, p: int, time_limit_s: float = 30.0, mip_rel_gap: float = 1e-6
    ) -> SitingResult:
        """Exact MCLP with HiGHS; see :func:`geo.siting.mclp.solve_exact`."""
        return mclp.solve_exact(self, p, time_limit_s, mip_rel_gap)

    def solve_maximin(
        self,
        p: int,
        time_limit_s: float = 30.0,
        group_map: Mapping[Any, Any] | None = None,
        over: str = "reachable",
        mip_rel_gap: float = 1e-6,
    ) -> SitingResult:
        """Balance first (lexicographic maximin); see :func:`geo.siting.maximin.solve_maximin`."""
        return maximin.solve_maximin(self, p, time_limit_s, group_map, over, mip_rel_gap)

    def tradeoff(self, p: int, time_limit_s: float = 30.0, **maximin_kwargs: Any) -> pd.DataFrame:
        """Coverage against balance; see :func:`geo.siting.maximin.tradeoff`."""
        return maximin.tradeoff(self, p, time_limit_s, **maximin_kwargs)

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
