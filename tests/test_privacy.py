from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.privacy import (
    HIDDEN,
    SMALL,
    USER_DERIVED_COLUMNS,
    is_small,
    protect_coverage_table,
    suppress_small_counts,
)


def _frame(values: list[float], total: float | None = None) -> pd.DataFrame:
    names = [f"B{k}" for k in range(len(values))]
    total = sum(values) if total is None else total
    return pd.DataFrame({"zone": [*names, "Hele byen"], "users": [*values, total]})


def test_single_small_cell_gets_a_secondary_partner():
    # 3 + 12 + 20 = 35: showing 12, 20 and 35 would give 3 back, so 12 is hidden too.
    out = suppress_small_counts(_frame([3, 12, 20]), ["users"])
    assert out["users"].tolist() == [SMALL, HIDDEN, 20, 35]
    assert out.attrs["suppressed"] == {"primary": 1, "secondary": 1, "derived": 0}


def test_zero_is_shown_and_counts_of_five_or_more_are_not_hidden():
    out = suppress_small_counts(_frame([0, 5, 9]), ["users"])
    assert out["users"].tolist() == [0, 5, 9, 14]


def test_two_small_cells_protect_each_other():
    # 2 and 3 are both hidden: 15 - 10 = 5 gives only their sum, not each one.
    out = suppress_small_counts(_frame([2, 3, 10]), ["users"])
    assert out["users"].tolist() == [SMALL, SMALL, 10, 15]


def test_total_is_hidden_when_every_other_cell_is_zero():
    # total 8 includes 5 unplaced users; the only non-zero detail cell is small
    out = suppress_small_counts(_frame([3, 0], total=8), ["users"])
    assert out["users"].tolist() == [SMALL, 0, HIDDEN]


def test_small_total_is_itself_suppressed():
    out = suppress_small_counts(_frame([0, 3, 0]), ["users"])
    assert out["users"].tolist() == [0, SMALL, 0, SMALL]


def test_fractional_counts_are_hidden_when_positive_and_rounded_otherwise():
    out = suppress_small_counts(
        _frame([0.4, 2.6, 7.4, 12.6], total=23.0), ["users"], protect_totals=False
    )
    assert out["users"].tolist() == [SMALL, SMALL, 7, 13, 23]
    assert is_small(4.99) and not is_small(5) and not is_small(0) and not is_small("x")


def test_no_secondary_suppression_when_turned_off():
    out = suppress_small_counts(_frame([3, 12, 20]), ["users"], protect_totals=False)
    assert out["users"].tolist() == [SMALL, 12, 20, 35]


def test_derived_ratio_is_hidden_with_its_count():
    frame = _frame([3, 12, 20])
    frame["share"] = [0.5, 0.25, 0.1, 0.2]
    out = suppress_small_counts(frame, ["users"], derived={"share": ["users"]})
    assert out["share"].tolist() == [HIDDEN, HIDDEN, 0.1, 0.2]


def test_row_totals_are_protected_too():
    frame = pd.DataFrame(
        {
            "zone": ["A", "B", "C", "Hele byen"],
            "visits": [3, 10, 20, 33],
            "users": [8, 9, 30, 47],
            "total": [11, 19, 50, 80],
        }
    )
    out = suppress_small_counts(frame, ["visits", "users"], row_total_column="total")
    assert out.loc[0, "visits"] == SMALL
    # row A: 11 - users = visits would reveal it, so users of A is hidden too
    assert out.loc[0, "users"] == HIDDEN
    assert not _recoverable(out, ["visits", "users"], "total")


def _recoverable(out: pd.DataFrame, columns: list[str], row_total: str | None = None) -> bool:
    """True if some equation (column over rows, or row over columns) has exactly one hidden cell."""
    hidden = out[[*columns, *([row_total] if row_total else [])]].isin([SMALL, HIDDEN]).to_numpy()
    total_row = (out["zone"] == "Hele byen").to_numpy()
    for col in range(hidden.shape[1]):
        if not hidden[total_row, col].any() and hidden[~total_row, col].sum() == 1:
            return True
    if row_total:
        for row in range(hidden.shape[0]):
            if not hidden[row, -1] and hidden[row, :-1].sum() == 1:
                return True
    return False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=2), min_size=2, max_size=6))
def test_no_small_count_shown_and_none_recoverable(rows):
    values = np.array(rows, dtype=float)
    frame = pd.DataFrame(values, columns=["visits", "users"])
    frame["total"] = frame.sum(axis=1)
    frame["zone"] = [f"B{k}" for k in range(len(frame))]
    totals = frame[["visits", "users", "total"]].sum().to_frame().T.assign(zone="Hele byen")
    frame = pd.concat([frame, totals], ignore_index=True)
    out = suppress_small_counts(frame, ["visits", "users"], row_total_column="total")
    shown = out[["visits", "users", "total"]].to_numpy().ravel()
    assert not any(isinstance(v, (int, float)) and 0 < v < 5 for v in shown)
    assert not _recoverable(out, ["visits", "users"], "total")


def test_residents_table_is_not_suppressed(study):
    from geo.analysis.metrics import coverage_table

    table = coverage_table(study)
    assert protect_coverage_table(table) is table


def test_user_data_table_is_suppressed(study):
    from geo.analysis.metrics import coverage_table, spread_user_data

    user = pd.DataFrame({"bydel_code": ["030101", "030102", "030103"], "visits": [3, 12, 40]})
    weights = spread_user_data(study.demand, user, "visits", kind="aggregate")
    table = coverage_table(study, weights=weights)
    out = protect_coverage_table(table)
    by_code = out.set_index("zone_code")
    assert by_code.loc["030101", "population"] == SMALL
    assert by_code.loc["030102", "population"] == HIDDEN  # next-smallest, protects the total
    assert by_code.loc["030103", "population"] == 40
    assert by_code.loc["0301", "population"] == 55
    for column in USER_DERIVED_COLUMNS:
        assert by_code.loc["030101", column] == HIDDEN
    assert out.attrs["weight_basis"] == "brukerdata"


@pytest.mark.parametrize("threshold", [3, 10])
def test_other_thresholds(threshold):
    out = suppress_small_counts(
        _frame([2, 20, 30]), ["users"], threshold=threshold, protect_totals=False
    )
    expected_first = f"<{threshold}" if threshold > 2 else 2
    assert out["users"].iloc[0] == expected_first
