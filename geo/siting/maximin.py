"""The balance objective: lexicographic maximin on a coverage model, with a greedy start."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.analysis.balance import weighted_gini
from geo.siting._highs import MipProblem, mclp_matrices, min_hitting_set, solve_highs
from geo.siting.mclp import solve_exact

if TYPE_CHECKING:  # the model calls these solvers; they only need its type
    from geo.siting.model import CoverageModel, SitingResult

__all__ = [
    "min_share",
    "solve_maximin",
    "tradeoff",
]


class _Leximin:
    """Group shares of a set of sites, and the best site to add to it (leximin order).

    Sites are compared on the lowest group share after adding them, then the second lowest,
    and so on (leximin), then on total gain: while one site cannot lift the minimum alone
    (several groups share it), a step still lifts one of the lowest groups.
    """

    def __init__(
        self,
        reduced: sp.csr_array,
        weights: np.ndarray,
        row_groups: np.ndarray,
        per_group: pd.DataFrame,
    ) -> None:
        group_pos = {g: r for r, g in enumerate(per_group.index)}
        member = np.array([group_pos.get(g, -1) for g in row_groups], dtype=np.int64)
        inside = member >= 0
        self.one_hot = sp.csr_array(
            (np.ones(int(inside.sum())), (np.flatnonzero(inside), member[inside])),
            shape=(len(weights), len(per_group)),
        )
        self.by_column = sp.csc_array(reduced.astype(float))
        self.weights = weights
        self.base = per_group["c"].to_numpy(dtype=float)
        self.totals = per_group["w"].to_numpy(dtype=float)

    def _state(self, sites: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Covered weight per group and the weight per row still uncovered, with ``sites``."""
        hit = np.zeros(len(self.weights), dtype=bool)
        for j in sites:
            hit[self.by_column.indices[self.by_column.indptr[j] : self.by_column.indptr[j + 1]]] = (
                True
            )
        remaining = np.where(hit, 0.0, self.weights)
        covered = self.base + np.asarray(self.one_hot.T @ (self.weights - remaining)).ravel()
        return covered, remaining

    def key(self, sites: Sequence[int]) -> tuple[float, ...]:
        """The sorted group shares with ``sites`` (compare as tuples: larger is better)."""
        covered, remaining = self._state(sites)
        total = float(self.weights.sum() - remaining.sum())
        return (*np.round(np.sort(covered / self.totals), 12), total)

    def best_addition(self, sites: Sequence[int]) -> int:
        """The candidate (not in ``sites``) that leaves the leximin-best shares when added."""
        covered, remaining = self._state(sites)
        gains = np.asarray((self.by_column.T @ (self.one_hot * remaining[:, None])).toarray())
        shares = np.sort((covered[None, :] + gains) / self.totals[None, :], axis=1)
        total_gain = np.asarray(self.by_column.T @ remaining).ravel()
        shares[list(sites)] = -np.inf
        # np.lexsort's last key is its first: lowest share, next lowest, …, then total gain
        return int(np.lexsort([total_gain, *np.round(shares, 12).T[::-1]])[-1])


def _balance_start(
    reduced: sp.csr_array,
    weights: np.ndarray,
    row_groups: np.ndarray,
    per_group: pd.DataFrame,
    p: int,
    max_sweeps: int = 4,
) -> list[int]:
    """A start for maximin: greedy in leximin order (:class:`_Leximin`), then site swaps.

    Each sweep takes every chosen site out in turn and puts back the best addition in its
    place when that improves the sorted shares (an interchange heuristic). A heuristic only: it
    gives HiGHS a good first incumbent, so a time-limited solve returns something sensible.
    """
    order = _Leximin(reduced, weights, row_groups, per_group)
    chosen: list[int] = []
    for _ in range(p):
        chosen.append(order.best_addition(chosen))
    best = order.key(chosen)
    for _ in range(max_sweeps):
        improved = False
        for k in range(p):
            others = chosen[:k] + chosen[k + 1 :]
            swap = order.best_addition(others)
            trial = [*others[:k], swap, *others[k:]]
            key = order.key(trial)
            if key > best:
                chosen, best, improved = trial, key, True
        if not improved:
            break
    return chosen


def solve_maximin(
    model: CoverageModel,
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
    p = model.check_p(p)
    if over not in {"reachable", "all"}:
        raise ValueError("over må være «reachable» eller «all».")
    start = time.perf_counter()
    labels = (
        model.groups
        if group_map is None
        else np.array([group_map.get(g, g) for g in model.groups], dtype=object)
    )
    reduced, weights, row_groups = model.reduced(labels)
    frame = pd.DataFrame(
        {"g": labels, "w": model.weights, "c": np.where(model.already_covered, model.weights, 0.0)}
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
        can_rise = min_hitting_set(reduced, row_groups, list(lowest)) <= p
    info["min_can_rise"] = bool(can_rise)
    if not can_rise:
        exact = solve_exact(model, p, time_limit_s, mip_rel_gap)
        info.update(exact.solver)
        info.update(
            time_s=time.perf_counter() - start,
            min_share=min_share(model, exact.chosen_index, labels, per_group.index),
            min_can_rise=False,
        )
        result = model.result("maximin", exact.chosen_index, info)
        result.notes.append(
            f"Med {p} nye steder kan ikke alle grupper med lavest dekning nås; den laveste "
            "andelen kan ikke heves, så forslaget er det som gir flest nye innen terskelen."
        )
        return result
    m, k = model.n_candidates, len(weights)
    z_col = m + k
    base = mclp_matrices(reduced, p)  # rows: k cover rows, 1 cardinality row
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
    start_index = _balance_start(reduced, weights, row_groups, per_group, p)
    start_x = np.zeros(m)
    start_x[start_index] = 1.0
    start_y = (np.asarray(reduced.astype(float) @ start_x).ravel() > 0).astype(float)
    start_z = min_share(model, start_index, labels, per_group.index)
    start_values = np.concatenate([start_x, start_y, [start_z]])
    # phase 1: the best minimum share. HiGHS searches on its own (given the start it took
    # other, here slower, paths); the start stands in where it finds nothing as good in time
    _, first, values = solve_highs(
        MipProblem(
            n_x=m,
            cost=np.concatenate([np.zeros(m + k), [1.0]]),
            upper=np.ones(z_col + 1),
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
        ),
        time_limit_s=0.6 * time_limit_s,
        mip_rel_gap=mip_rel_gap,
        p=p,
    )
    z_star = float(values[z_col]) if first["own_solution"] else -np.inf
    if start_z > z_star:
        values, z_star = start_values, float(start_z)
        first["start_used"] = True
    # phase 2: the most coverage with every group at z* or more
    lower = np.zeros(z_col + 1)
    lower[z_col] = max(z_star - 1e-9, 0.0)
    chosen, second, _ = solve_highs(
        MipProblem(
            n_x=m,
            cost=np.concatenate([np.zeros(m), weights, [0.0]]),
            upper=np.ones(z_col + 1),
            lower=lower,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            start=values,
        ),
        # what is left of the limit; phase 1's answer is the start, so a short run still has one
        time_limit_s=max(time_limit_s - (time.perf_counter() - start), 0.1),
        mip_rel_gap=mip_rel_gap,
        p=p,
    )
    statuses = {first["status"], second["status"]}
    info.update(
        status="Optimal" if statuses == {"Optimal"} else " / ".join(sorted(statuses)),
        objective=second["objective"],
        bound=second["bound"],
        # the coverage gap at the minimum share found; that share and its bound are beside it
        gap=second["gap"],
        min_share_bound=first["bound"],
        phase1=first,
        phase2=second,
        time_limit_s=float(time_limit_s),
        n_rows_reduced=int(k),
        time_s=time.perf_counter() - start,
        min_share=min_share(model, chosen, labels, per_group.index),
    )
    return model.result("maximin", chosen, info)


def min_share(
    model: CoverageModel,
    chosen_index: Sequence[int] | np.ndarray,
    labels: np.ndarray,
    considered: Any,
) -> float:
    """Lowest coverage share after adding ``chosen_index`` among the ``considered`` groups."""
    covered = model.already_covered | model.newly_covered(chosen_index)
    frame = pd.DataFrame(
        {"g": labels, "w": model.weights, "c": np.where(covered, model.weights, 0.0)}
    )
    grouped = frame.groupby("g")[["w", "c"]].sum().reindex(list(considered))
    return float((grouped["c"] / grouped["w"]).min()) if len(grouped) else float("nan")


def tradeoff(
    model: CoverageModel, p: int, time_limit_s: float = 30.0, **maximin_kwargs: Any
) -> pd.DataFrame:
    """Total coverage against balance: the exact MCLP answer next to the maximin answer.

    Returns one row per method with ``chosen``, ``newly_covered``, ``share_after``,
    ``min_share_after`` and the weighted Gini of the bydel coverage shares after.
    """
    rows = []
    for result in (
        solve_exact(model, p, time_limit_s),
        solve_maximin(model, p, time_limit_s, **maximin_kwargs),
    ):
        table = result.by_group[result.by_group["weight"] > 0]
        rows.append(
            {
                "method": result.method,
                "chosen": result.chosen,
                "newly_covered": result.newly_covered,
                "share_after": result.share_after,
                "min_share_after": result.min_share_after,
                "gini_after": weighted_gini(table["share_after"], table["weight"]),
            }
        )
    return pd.DataFrame(rows)
