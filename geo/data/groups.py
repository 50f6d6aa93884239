"""The editable grouping of bydeler (indre by, ytre øst, ytre vest, ytre sør) of the balance measures.

The grouping is data: ``data/bydel_groups.csv`` (definition and sources in
``data/bydel_groups.md``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import InputError, Problem
from geo.names import normalise_bydel

__all__ = [
    "BYDEL_GROUPS_FILE",
    "CENTRAL_GROUP",
    "central_codes",
    "load_bydel_groups",
]

BYDEL_GROUPS_FILE = "bydel_groups.csv"


CENTRAL_GROUP = "Indre by"
"""The group whose bydeler count as «central» in :func:`concentration_share`."""


def load_bydel_groups(path: str | Path | None = None) -> pd.Series:
    """Load the editable bydel grouping (``data/bydel_groups.csv``).

    Returns
    -------
    pandas.Series
        Group label indexed by 6-digit bydel code.

    Raises
    ------
    geo.io.InputError
        When a column is missing, a bydel code is unknown or repeated, or a group is empty; the
        message names the file, row and column.

    """
    file = Path(path) if path is not None else settings.project_data_dir() / BYDEL_GROUPS_FILE
    try:
        raw = pd.read_csv(file, dtype=str, comment="#")
    except FileNotFoundError:
        raise InputError(Problem(file.name, None, None, "Filen finnes ikke.")) from None
    for column in ("bydel_code", "group"):
        if column not in raw.columns:
            raise InputError(Problem(file.name, None, column, f"Kolonnen «{column}» mangler."))
    problems = []
    out: dict[str, str] = {}
    for position, record in enumerate(raw.to_dict("records")):
        row = position + 2  # header is row 1
        code = normalise_bydel(record.get("bydel_code"))
        group = str(record.get("group") or "").strip()
        if code is None:
            problems.append(
                Problem(
                    file.name, row, "bydel_code", f"Ukjent bydelskode «{record.get('bydel_code')}»."
                )
            )
        elif code in out:
            problems.append(Problem(file.name, row, "bydel_code", f"Bydel {code} står to ganger."))
        elif not group or group.lower() == "nan":
            problems.append(Problem(file.name, row, "group", "Gruppen er tom."))
        else:
            out[code] = group
    if problems:
        raise InputError(problems)
    return pd.Series(out, name="group").rename_axis("bydel_code")


def central_codes(groups: pd.Series | None = None, central_group: str = CENTRAL_GROUP) -> list[str]:
    """Bydel codes of the central group («Indre by» unless another label is given)."""
    groups = load_bydel_groups() if groups is None else groups
    return sorted(groups.index[groups == central_group])
