r"""A proxy for need: residents weighted by their bydel's share receiving social assistance.

.. math::

    w'_c = w_c \cdot \frac{s_b}{100},

where :math:`w_c` is a demand point's residents and :math:`s_b` the percentage of the bydel's
residents who received economic social assistance in 2023. The weight estimates recipients, not
the target group of low-threshold services; every output that uses it says so
(:data:`NEED_LABEL`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.data.population import MARKA_CODE
from geo.errors import InputError, Problem
from geo.inputs.problems import unreadable_error
from geo.labels import NEED_LABEL
from geo.names import BYDEL_CODES, normalise_bydel

__all__ = [
    "NEED_INDICATOR",
    "NEED_UNIT",
    "NEED_YEAR",
    "SENTRUM_RULE",
    "SENTRUM_SHARE_FROM",
    "TABLE_RULE",
    "need_weights",
    "read_need_shares",
]

NEED_INDICATOR = "sosialhjelp_share_of_population"
"""Indicator column of ``context/need_indicators.csv`` used as the need proxy."""

NEED_YEAR = 2023
"""Year of the indicator."""

NEED_UNIT = "percent"
"""Unit the indicator must have."""


SENTRUM_SHARE_FROM: dict[str, str] = {"030116": "030104"}
"""Sentrum (030116) is missing from the indicator table and takes St. Hanshaugen's (030104) share,
because Bydel St. Hanshaugen administers Sentrum."""


TABLE_RULE = "tabell"
"""How a bydel got its share: from the table."""

SENTRUM_RULE = "St. Hanshaugens andel (Sentrum)"
"""How Sentrum got its share."""

_SENTRUM_NOTE = (
    "Sentrum mangler i tabellen og får St. Hanshaugens andel, fordi Bydel St. Hanshaugen har "
    "ansvaret for Sentrum."
)


def read_need_shares(path: str | Path) -> pd.DataFrame:
    """Read the share of social-assistance recipients per bydel (2023, percent).

    Only rows with ``indicator == "sosialhjelp_share_of_population"`` and ``year == 2023`` are
    used; the other indicators are context and are not checked.

    Parameters
    ----------
    path
        ``population/need_indicators_by_bydel.csv`` (``bydel, indicator, value, unit, year,
        source_url, note``).

    Returns
    -------
    pandas.DataFrame
        ``bydel_code``, ``bydel``, ``share_percent`` (float), ``line`` (CSV line, header = 1),
        sorted by code.

    Raises
    ------
    geo.io.InputError
        With one :class:`geo.io.Problem` per wrong cell (unknown bydel name, a value that is not
        a number between 0 and 100, another unit, a bydel listed twice), naming file, line and
        column; or when the file cannot be read, lacks a column, or lacks one of the 15 bydeler.

    """
    path = Path(path)
    name = str(path)
    rows, header = _need_rows(path)
    missing = [c for c in ("bydel", "indicator", "value", "unit", "year") if c not in header]
    if missing:
        raise InputError(Problem(name, 1, missing[0], "Kolonnen mangler."))
    problems: list[Problem] = []
    found: dict[str, tuple[float, int]] = {}
    for line, row, n_fields in rows:
        if row.get("indicator", "") != NEED_INDICATOR:
            continue
        if n_fields != len(header):
            message = (
                f"Raden har {n_fields} felt, overskriften {len(header)}; sett tekst som inneholder "
                "komma i anførselstegn."
            )
            problems.append(Problem(name, line, None, message))
            continue
        parsed = _need_row(row, line, name, problems) if row.get("year") == str(NEED_YEAR) else None
        if parsed is None:
            continue
        code, share = parsed
        if code in found:
            message = f"{BYDEL_CODES[code]} står allerede på linje {found[code][1]}."
            problems.append(Problem(name, line, "bydel", message))
            continue
        found[code] = (share, line)
    if not problems:
        # With row problems the missing bydel is most likely the broken row: report that only.
        problems = [
            Problem(name, None, "bydel", f"Andelen for {BYDEL_CODES[c]} ({c}) mangler.")
            for c in _NEED_REQUIRED
            if c not in found
        ]
    if problems:
        raise InputError(problems)
    codes = sorted(found)
    return pd.DataFrame(
        {
            "bydel_code": codes,
            "bydel": [BYDEL_CODES[c] for c in codes],
            "share_percent": [found[c][0] for c in codes],
            "line": [found[c][1] for c in codes],
        }
    )


_NEED_REQUIRED = [c for c in BYDEL_CODES if c not in SENTRUM_SHARE_FROM and c != MARKA_CODE]
"""The 15 bydeler that must be in the indicator table."""


def _need_rows(path: Path) -> tuple[list[tuple[int, dict[str, str], int]], list[str]]:
    """Return ``(line, row, number of fields)`` per non-blank record, and the header."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            rows = [
                (
                    reader.line_num,
                    dict(zip(header, [v.strip() for v in rec], strict=False)),
                    len(rec),
                )
                for rec in reader
                if any(v.strip() for v in rec)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise unreadable_error(path, exc) from exc
    return rows, header


def _need_row(
    row: dict[str, str], line: int, name: str, problems: list[Problem]
) -> tuple[str, float] | None:
    """Return ``(code, share)`` for one indicator row, or ``None`` after adding its problems."""
    before = len(problems)
    code = normalise_bydel(row.get("bydel", ""))
    if code is None:
        message = f"Ukjent bydel «{row.get('bydel', '')}»."
        problems.append(Problem(name, line, "bydel", message))
    text = row.get("value", "").replace(",", ".")
    try:
        share = float(text)
    except ValueError:
        share = math.nan
    if not 0.0 <= share <= 100.0:
        message = f"«{row.get('value', '')}» er ikke en andel i prosent (et tall mellom 0 og 100)."
        problems.append(Problem(name, line, "value", message))
    if row.get("unit", "") != NEED_UNIT:
        message = f"Enheten er «{row.get('unit', '')}», ventet «{NEED_UNIT}»."
        problems.append(Problem(name, line, "unit", message))
    if len(problems) > before or code is None:
        return None
    return code, share


def need_weights(
    demand: gpd.GeoDataFrame, indicators_path: str | Path, population_year: int | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    r"""Weight demand points by their bydel's share of social-assistance recipients (2023).

    .. math::

        w'_i = w_i \cdot \frac{s_b}{100}

    where :math:`s_b` is the share (percent) in the point's bydel: an estimate of recipients
    where people live, a proxy for need, **not** a count of the target group. Sentrum, missing
    from the table, takes St. Hanshaugen's share (:data:`SENTRUM_SHARE_FROM`).

    Parameters
    ----------
    demand
        Output of :func:`grid_demand`, :func:`uniform_demand` or :func:`load_demand`.
    indicators_path
        ``population/need_indicators_by_bydel.csv``.
    population_year
        Year of the residents in ``demand``; from ``demand.attrs`` when ``None``.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.DataFrame)
        The demand with ``weight`` = :math:`w'_i` and the residents kept in
        ``population_weight``; ``attrs`` add ``demand_basis`` (the label), ``need_note`` (label,
        Sentrum rule, years), ``need_year`` and ``need_shares``. And the shares used per bydel:
        ``bydel_code``, ``bydel``, ``share_percent``, ``rule`` (``"tabell"`` or
        ``"St. Hanshaugens andel (Sentrum)"``), ``population`` (:math:`\sum w_i`) and
        ``need_weight`` (:math:`\sum w'_i`).

    Raises
    ------
    geo.io.InputError
        When the indicator file is wrong (see :func:`read_need_shares`) or a bydel in ``demand``
        has no share.
    ValueError
        When ``population_year`` disagrees with ``demand.attrs["population_year"]``.

    """
    year = _population_year(demand, population_year)
    shares = _shares_for(read_need_shares(indicators_path), demand, str(indicators_path))
    share = shares.set_index("bydel_code")["share_percent"]
    out = demand.copy()
    out["population_weight"] = demand["weight"].to_numpy(dtype=float)
    out["weight"] = out["population_weight"] * share.reindex(out["bydel_code"]).to_numpy() / 100.0
    sums = out.groupby("bydel_code")[["population_weight", "weight"]].sum()
    shares["population"] = sums["population_weight"].reindex(shares["bydel_code"]).to_numpy()
    shares["need_weight"] = sums["weight"].reindex(shares["bydel_code"]).to_numpy()
    note = [NEED_LABEL]
    if (shares["rule"] == SENTRUM_RULE).any():
        note.append(_SENTRUM_NOTE)
    note.append(f"Andelene for {NEED_YEAR} er brukt på innbyggerne per 1.1.{year}.")
    out.attrs = dict(demand.attrs)
    out.attrs.update(
        demand_basis=NEED_LABEL,
        need_note=" ".join(note),
        need_year=NEED_YEAR,
        need_shares=dict(zip(shares["bydel_code"], shares["share_percent"], strict=True)),
        population_year=year,
    )
    return out, shares


def _population_year(demand: gpd.GeoDataFrame, population_year: int | None) -> int | None:
    stated = demand.attrs.get("population_year")
    if population_year is None:
        return stated
    if stated is not None and int(stated) != int(population_year):
        raise ValueError(
            f"Etterspørselen gjelder innbyggere per 1.1.{stated}, ikke {population_year}."
        )
    return int(population_year)


def _shares_for(table: pd.DataFrame, demand: gpd.GeoDataFrame, name: str) -> pd.DataFrame:
    share = table.set_index("bydel_code")["share_percent"]
    rows = []
    for code in sorted(set(demand["bydel_code"].astype(str))):
        if code in share.index:
            rows.append((code, float(share[code]), TABLE_RULE))
        elif SENTRUM_SHARE_FROM.get(code) in share.index:
            rows.append((code, float(share[SENTRUM_SHARE_FROM[code]]), SENTRUM_RULE))
        else:
            raise InputError(
                Problem(name, None, "bydel", f"Ingen andel for {BYDEL_CODES.get(code, code)}.")
            )
    return pd.DataFrame(
        {
            "bydel_code": [r[0] for r in rows],
            "bydel": [BYDEL_CODES.get(r[0], r[0]) for r in rows],
            "share_percent": [r[1] for r in rows],
            "rule": [r[2] for r in rows],
        }
    )
