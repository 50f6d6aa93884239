r"""Small-count protection for every export that shows counts of people from user data.

Counts that come from user data about people (visits, users, incidents) are shown as ``"<5"``
when they are between 1 and 4, and the totals they add up to are protected so that a hidden
cell cannot be calculated back. Residents from public statistics are not suppressed.

The rule (stated in every export that applies it, see :data:`SUPPRESSION_NOTE`):

1. **Primary suppression.** A count :math:`x` with :math:`0 < x < 5` is shown as ``"<5"``.
   Zero is shown as ``0``: a zero says that nobody is counted, which identifies no one, and
   hiding zeros would make most small tables unreadable (the rule Oslo kommune and SSB use for
   aggregated service statistics). Non-integer counts (user data spread over an area) are hidden
   when :math:`0 < x < 5` and otherwise rounded to whole numbers.
2. **Secondary suppression.** Cells that add up to a shown total form an equation

   .. math::

       T = \sum_{i \in G} x_i

   If exactly one cell of :math:`G` is hidden while :math:`T` is shown, that cell equals
   :math:`T - \sum_{i \ne j} x_i`. Then the smallest other shown cell with :math:`x_i > 0` is
   hidden too (shown as ``":"``, SSB's sign for "not shown for confidentiality"); if every other
   cell is 0, the total itself is hidden. This is repeated until no equation has exactly one
   hidden cell. Equations are each count column over the detail rows against the total row
   (``Hele byen``), and, when a row-total column is given, the count columns of each row against
   that column.
3. **Derived values.** A ratio computed from a hidden count (e.g. a share or a rate per
   10 000 from user counts) is hidden as ``":"`` in the same row, since it could be multiplied
   back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo.names import CITY_CODE, CITY_NAME

__all__ = [
    "HIDDEN",
    "SMALL",
    "SUPPRESSION_NOTE",
    "USER_COUNT_COLUMNS",
    "USER_DERIVED_COLUMNS",
    "is_small",
    "protect_coverage_table",
    "suppress_small_counts",
]


SMALL = "<5"
"""Shown for a count of 1–4 (with the default threshold 5)."""


HIDDEN = ":"
"""Shown for a cell hidden only so that a small count cannot be calculated back."""


SUPPRESSION_NOTE = (
    "Små tall: antall personer/besøk/hendelser fra brukerdata mellom 1 og 4 vises som «<5». "
    "«:» betyr at tallet er skjult for at et lite tall ikke skal kunne regnes ut fra summen "
    "eller fra en andel. 0 vises. Innbyggertall fra offentlig statistikk skjules ikke."
)


USER_COUNT_COLUMNS = ("population", "residents_within_threshold")
"""Columns of a :func:`geo.metrics.coverage_table` that count people when the weights are user data."""


USER_DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "share_within_threshold": ("residents_within_threshold", "population"),
    "services_per_10k": ("population",),
    "share_of_population": ("population",),
    "location_quotient": ("population",),
}
"""Ratios in a coverage table computed from the user counts above (hidden with them)."""


def is_small(value: object, threshold: float = 5) -> bool:
    """True for a count that must be hidden: 0 < x < threshold."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(number) and 0 < number < threshold)


def suppress_small_counts(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    threshold: float = 5,
    protect_totals: bool = True,
    total_rows: Sequence[bool] | pd.Series | None = None,
    row_total_column: str | None = None,
    derived: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``df`` with small counts shown as ``"<5"`` and back-calculation blocked.

    See the module docstring for the rule.

    Parameters
    ----------
    df
        Table with one row per unit (bydel, candidate, …) and optionally a total row.
    count_columns
        Columns holding counts of people from user data. Other columns are left alone, except
        ``derived``.
    threshold
        Counts with ``0 < x < threshold`` are hidden (5 by default, shown as ``"<5"``).
    protect_totals
        Apply secondary suppression so that totals cannot reveal a hidden cell.
    total_rows
        Boolean mask of the rows that are column totals of the other rows. By default the rows
        whose ``zone`` is ``"Hele byen"`` or ``zone_code`` is ``"0301"``.
    row_total_column
        A column that is the sum of ``count_columns`` in each row (checked as an equation too).
    derived
        ``{column: [count columns it is computed from]}``; a cell is hidden (``":"``) when one
        of its sources is hidden in the same row.

    Returns
    -------
    pandas.DataFrame
        Same shape; the protected columns have object dtype with whole numbers, ``"<5"`` or
        ``":"``. ``attrs["suppressed"]`` counts the primary and secondary hidden cells and
        ``attrs["suppression_note"]`` holds :data:`SUPPRESSION_NOTE`.

    Examples
    --------
    >>> frame = pd.DataFrame({"zone": ["A", "B", "C", "Hele byen"], "users": [3, 12, 20, 35]})
    >>> suppress_small_counts(frame, ["users"])["users"].tolist()
    ['<5', ':', 20, 35]

    """
    columns = [c for c in count_columns if c in df.columns]
    all_counts = [*columns, *([row_total_column] if row_total_column in df.columns else [])]
    out = df.copy()
    if not all_counts:
        out.attrs["suppressed"] = {"primary": 0, "secondary": 0}
        return out
    values = out[all_counts].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    primary = np.vectorize(lambda v: is_small(v, threshold), otypes=[bool])(values)
    hidden = primary.copy()
    if protect_totals:
        totals = _total_mask(out, total_rows)
        equations = _equations(totals, len(columns), row_total_column in all_counts)
        _secondary(values, hidden, equations)
    n_secondary = int((hidden & ~primary).sum())
    for k, column in enumerate(all_counts):
        shown = [
            _shown_count(value, is_primary, is_hidden, threshold)
            for value, is_primary, is_hidden in zip(
                values[:, k], primary[:, k], hidden[:, k], strict=True
            )
        ]
        out[column] = pd.Series(shown, index=out.index, dtype=object)
    n_derived = _hide_derived(out, hidden, all_counts, derived or {})
    out.attrs["suppressed"] = {
        "primary": int(primary.sum()),
        "secondary": n_secondary,
        "derived": n_derived,
    }
    out.attrs["suppression_note"] = SUPPRESSION_NOTE
    return out


def _shown_count(value: float, is_primary: bool, is_hidden: bool, threshold: float) -> Any:
    """How one count cell is shown: ``"<5"``, ``":"``, a whole number, or empty."""
    if is_primary:
        return SMALL if threshold == 5 else f"<{threshold:g}"
    if is_hidden:
        return HIDDEN
    return round(value) if np.isfinite(value) else None


def _hide_derived(
    out: pd.DataFrame,
    hidden: np.ndarray,
    all_counts: Sequence[str | None],
    derived: Mapping[str, Iterable[str]],
) -> int:
    """Hide (``":"``) each ratio whose source count is hidden in the same row; returns how many."""
    n_derived = 0
    for column, sources in derived.items():
        if column not in out.columns:
            continue
        source_idx = [list(all_counts).index(s) for s in sources if s in all_counts]
        if not source_idx:
            continue
        mask = hidden[:, source_idx].any(axis=1)
        if mask.any():
            out[column] = out[column].astype(object)
            out.loc[mask, column] = HIDDEN
            n_derived += int(mask.sum())
    return n_derived


def protect_coverage_table(table: pd.DataFrame, threshold: float = 5) -> pd.DataFrame:
    """Apply :func:`suppress_small_counts` to a coverage table when its weights are user data.

    A table from :func:`geo.metrics.coverage_table` with ``attrs["weight_basis"] ==
    "brukerdata"`` has user counts in :data:`USER_COUNT_COLUMNS` and ratios of them in
    :data:`USER_DERIVED_COLUMNS`; with residents (public statistics) the table is returned
    unchanged. ``attrs`` are kept.
    """
    if table.attrs.get("weight_basis") != "brukerdata":
        return table
    out = suppress_small_counts(
        table, list(USER_COUNT_COLUMNS), threshold=threshold, derived=USER_DERIVED_COLUMNS
    )
    out.attrs = {**table.attrs, **out.attrs}
    return out


def _total_mask(df: pd.DataFrame, total_rows: Sequence[bool] | pd.Series | None) -> np.ndarray:
    if total_rows is not None:
        return np.asarray(total_rows, dtype=bool)
    mask = np.zeros(len(df), dtype=bool)
    if "zone" in df.columns:
        mask |= (df["zone"] == CITY_NAME).to_numpy()
    if "zone_code" in df.columns:
        mask |= (df["zone_code"].astype(str) == CITY_CODE).to_numpy()
    return mask


def _equations(
    totals: np.ndarray, n_columns: int, has_row_total: bool
) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Each equation: (cells that add up, total cell), as (row, column) positions."""
    detail = np.flatnonzero(~totals).tolist()
    equations: list[tuple[list[tuple[int, int]], tuple[int, int]]] = []
    for total_row in np.flatnonzero(totals):
        for col in range(n_columns + int(has_row_total)):
            equations.append(([(r, col) for r in detail], (int(total_row), col)))
    if has_row_total:
        for row in range(len(totals)):
            equations.append(([(row, c) for c in range(n_columns)], (row, n_columns)))
    return equations


def _secondary(
    values: np.ndarray,
    hidden: np.ndarray,
    equations: list[tuple[list[tuple[int, int]], tuple[int, int]]],
) -> None:
    """Hide more cells until no equation with a shown total has exactly one hidden cell."""
    changed = True
    while changed:
        changed = False
        for cells, total in equations:
            if hidden[total] or not cells:
                continue
            n_hidden = sum(hidden[cell] for cell in cells)
            if n_hidden != 1:
                continue
            candidates = [
                cell
                for cell in cells
                if not hidden[cell] and np.isfinite(values[cell]) and values[cell] > 0
            ]
            if candidates:
                smallest = min(candidates, key=lambda cell: values[cell])
                hidden[smallest] = True
            else:
                hidden[total] = True
            changed = True
