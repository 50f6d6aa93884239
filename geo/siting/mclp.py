r"""Maximal covering (MCLP) solvers on a :class:`~geo.siting.model.CoverageModel`.

* :func:`solve_enumeration` – *p* = 1, exact, every candidate scored at once;
* :func:`solve_greedy` – *p* > 1 for interactive use, at least :math:`1 - (1 - 1/p)^p` of the
  optimum (Nemhauser, Wolsey & Fisher 1978);
* :func:`solve_exact` – the MCLP as a mixed-integer programme solved by HiGHS, warm-started with
  the greedy answer and with candidates pruned by a submodular bound.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.siting._highs import MipProblem, mclp_matrices, solve_highs
from geo.siting._reduce import merge_identical_rows

if TYPE_CHECKING:  # the model calls these solvers; they only need its type
    from geo.siting.model import CoverageModel, SitingResult

__all__ = [
    "solve_enumeration",
    "solve_exact",
    "solve_greedy",
]


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


def solve_enumeration(model: CoverageModel) -> SitingResult:
    """Best single new site (*p* = 1) by scoring every candidate; exact and instant.

    ``result.ranking`` lists every candidate with ``new_weight``, best first (ties keep the
    candidate order).
    """
    start = time.perf_counter()
    gains = model.candidate_gains()
    best = int(np.argmax(gains)) if len(gains) else 0
    order = np.argsort(-gains, kind="stable")
    ranking = pd.DataFrame(
        {
            "candidate_id": [model.candidate_ids[j] for j in order],
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
    return model.result("enumerate", [best], solver, ranking)


def solve_greedy(model: CoverageModel, p: int) -> SitingResult:
    r"""Choose *p* sites one at a time, each time the one with the largest new weight.

    For monotone submodular coverage the result is within
    :math:`1 - (1 - 1/p)^p \ge 1 - 1/e` of the optimum (Nemhauser, Wolsey & Fisher 1978);
    for *p* = 1 it is the optimum. ``solver["marginal_gains"]`` holds each step's gain.
    """
    p = model.check_p(p)
    start = time.perf_counter()
    reduced, weights, _ = model.reduced()
    remaining = weights.copy()
    by_column = sp.csc_array(reduced.astype(float))
    chosen: list[int] = []
    gains_seq: list[float] = []
    available = np.ones(model.n_candidates, dtype=bool)
    for _ in range(p):
        gains = (
            np.asarray(by_column.T @ remaining).ravel()
            if len(remaining)
            else np.zeros(model.n_candidates)
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
    return model.result("greedy", chosen, solver)


def solve_exact(
    model: CoverageModel, p: int, time_limit_s: float = 30.0, mip_rel_gap: float = 1e-6
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
    p = model.check_p(p)
    start = time.perf_counter()
    reduced, weights, _ = model.reduced()
    greedy = solve_greedy(model, p)
    if len(weights) == 0:
        return model.result(
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
    in_greedy = np.zeros(model.n_candidates, dtype=bool)
    in_greedy[greedy.chosen_index] = True
    kept = np.flatnonzero(_prune_candidates(reduced, weights, p, greedy.newly_covered, in_greedy))
    sub, sub_weights, _ = merge_identical_rows(sp.csr_array(reduced[:, kept]), weights)
    m = len(kept)
    constraints = mclp_matrices(sub, p)
    start_x = in_greedy[kept].astype(float)
    start_y = np.asarray(sub.astype(float) @ start_x).ravel() > 0
    chosen, info, _ = solve_highs(
        MipProblem(
            n_x=m,
            cost=np.concatenate([np.zeros(m), sub_weights]),
            upper=np.ones(m + len(sub_weights)),
            matrix=constraints,
            row_lower=np.concatenate([np.full(len(sub_weights), -np.inf), [p]]),
            row_upper=np.concatenate([np.zeros(len(sub_weights)), [p]]),
            start=np.concatenate([start_x, start_y.astype(float)]),
        ),
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        p=p,
    )
    info.update(
        time_s=time.perf_counter() - start,
        n_rows_reduced=len(sub_weights),
        n_candidates_kept=m,
    )
    return model.result("exact", kept[chosen], info)
