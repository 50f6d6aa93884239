"""The HiGHS adapter: covering models as sparse matrices, solved with a time limit and a warm start."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "IPM_ROWS",
    "MipProblem",
    "mclp_matrices",
    "min_hitting_set",
    "solve_highs",
    "stdout_silenced",
]


def mclp_matrices(reduced: sp.csr_array, p: int) -> sp.csr_array:
    """Constraint matrix over columns [x (m), y (k)]: rows ``y_i - Σ_{j∈N_i} x_j`` then ``Σ x_j``."""
    k, m = reduced.shape
    cover = sp.hstack([-reduced.astype(float), sp.eye_array(k, format="csr")], format="csr")
    cardinality = sp.csr_array(
        (np.ones(m), (np.zeros(m, dtype=np.int64), np.arange(m))), shape=(1, m + k)
    )
    return sp.csr_array(sp.vstack([cover, cardinality], format="csr"))


@contextlib.contextmanager
def stdout_silenced() -> Iterator[None]:
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


_FEASIBLE = 2  # HiGHS's primal_solution_status for a feasible solution

IPM_ROWS = 5000
"""Above this many constraint rows HiGHS solves the MIP's LPs by interior point."""


@dataclass(frozen=True)
class MipProblem:
    r"""A mixed-integer programme with the first ``n_x`` columns binary.

    Optimise :math:`c^T v` subject to :math:`r_l \le A v \le r_u` and :math:`l \le v \le u`.

    ``start`` is a full starting solution (an incumbent HiGHS may begin from), or ``None``.
    """

    n_x: int
    cost: np.ndarray
    upper: np.ndarray
    matrix: Any
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray | None = None
    lower: np.ndarray | None = None
    maximise: bool = True


def solve_highs(
    problem: MipProblem,
    time_limit_s: float,
    mip_rel_gap: float,
    p: int | None,
    presolve: str = "off",
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """Solve ``problem`` with HiGHS within ``time_limit_s``.

    Returns the chosen x positions (the ``p`` largest when ``p`` is given), solver info and all
    column values.
    """
    import highspy

    n_x, cost, upper, matrix = problem.n_x, problem.cost, problem.upper, problem.matrix
    row_lower, row_upper, start = problem.row_lower, problem.row_upper, problem.start
    lower, maximise = problem.lower, problem.maximise

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
    with stdout_silenced():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", 1)
    # HiGHS's presolve spends seconds on these covering models (p = 1 at 750 m: 2.3 s with, 0.07 s
    # without, same optimum); the reduction above already removes what presolve would find.
    h.setOptionValue("presolve", presolve)
    if csc.shape[0] > IPM_ROWS:
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
    feasible = int(info.primal_solution_status) == _FEASIBLE
    if not feasible and start is not None:
        # stopped before HiGHS had a solution of its own (e.g. a short time limit): the start
        # is one, and the only answer that keeps the constraints
        values = np.asarray(start, dtype=float)
    elif len(values) < n_x:
        raise RuntimeError(f"HiGHS fant ingen løsning ({status}).")
    x = values[:n_x]
    chosen = np.flatnonzero(x > 0.5)
    if p is not None and len(chosen) != p:  # numerical safety: keep the p largest
        chosen = np.sort(np.argsort(-x, kind="stable")[:p])
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("nan")
    if not feasible and start is not None:
        objective = float(np.asarray(cost, dtype=float) @ values)
        gap = abs(bound - objective) / max(abs(objective), 1e-12) if np.isfinite(bound) else gap
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
            "own_solution": feasible,  # False: HiGHS found none in time (the start is returned)
        },
        values,
    )


def min_hitting_set(reduced: sp.csr_array, row_groups: np.ndarray, targets: list[Any]) -> float:
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
    _, info, values = solve_highs(
        MipProblem(
            n_x=m,
            cost=np.ones(m),
            upper=np.ones(m),
            matrix=sp.csc_array(touches.astype(float)),
            row_lower=np.ones(len(targets)),
            row_upper=np.full(len(targets), np.inf),
            start=None,
            maximise=False,
        ),
        time_limit_s=10.0,
        mip_rel_gap=0.0,
        p=None,
    )
    return float(np.round(values[:m].sum())) if info["status"] == "Optimal" else 1.0
