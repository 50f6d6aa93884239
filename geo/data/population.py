"""SSB's registered residents per bydel on 1 January 2015–2026 (the bydel series).

:func:`load_bydel_series` reads one year of ``population/ssb_bydel_population_2015_2026.csv``
(SSB table 07459, as mirrored by the reference data) and checks that the bydeler plus the
residents with unknown bydel add up to Oslo in all. Where residents are placed inside a bydel is
the business of :mod:`geo.data.demand`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError, Problem
from geo.inputs.problems import unreadable_error
from geo.names import BYDEL_CODES, CITY_CODE, normalise_bydel

__all__ = [
    "MARKA_CODE",
    "UNKNOWN_CODE",
    "load_bydel_series",
    "series_from_csdata",
]

UNKNOWN_CODE = "030199"
"""Derived row of the series: residents with unknown bydel (Oslo minus every other row)."""
MARKA_CODE = "030117"
"""Marka: a bydel code with residents but no polygon in the 2013 boundary set."""

_ROW_TYPES: dict[str, set[str]] = {
    "total": {"total"},
    "unknown": {"derived", "unallocated_derived"},
    "bydel": {"bydel", "sentrum_or_marka"},
}
"""Accepted ``row_type`` per kind of row (the file spells Sentrum/Marka and 030199 its own way)."""

# --------------------------------------------------------------------------------------------
# Bydel series
# --------------------------------------------------------------------------------------------


def load_bydel_series(path: str | Path, year: int | None = None) -> pd.DataFrame:
    """Load SSB's registered residents per bydel on 1 January of ``year``.

    Parameters
    ----------
    path
        ``population/ssb_bydel_population_2015_2026.csv``: columns ``bydel_code, row_type, bydel,
        pop_<year>_01_01, …``; one ``total`` row (0301), one derived row (030199, unknown bydel)
        and one row per bydel incl. Sentrum (030116) and Marka (030117).
    year
        Which year; the newest in the file when ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per bydel (the 15 bydeler, Sentrum and Marka), sorted by code: ``bydel_code``,
        ``bydel`` (official name), ``population`` (int). ``attrs``: ``population_year``,
        ``city_total`` (the 0301 row), ``unknown_bydel`` (the 030199 row), ``years`` (all years in
        the file), ``source_path``.

    Raises
    ------
    geo.io.InputError
        When the file cannot be read, a row or value is wrong, ``year`` is not in the file
        (the message lists the years there are), or the bydel rows and 030199 do not add up to
        the total for ``year``.

    """
    path = Path(path)
    name = str(path)
    raw = _read_series_csv(path)
    years = _series_years(raw, name)
    chosen = max(years) if year is None else int(year)
    if chosen not in years:
        listed = ", ".join(str(y) for y in sorted(years))
        raise InputError(
            Problem(
                name, None, None, f"Ingen befolkningstall for {chosen}. Filen har årene {listed}."
            )
        )
    column = years[chosen]
    kinds = _series_kinds(raw, name)
    values = _series_values(raw, column, name)
    total = int(values[kinds == "total"].iloc[0])
    unknown = int(values[kinds == "unknown"].iloc[0])
    is_bydel = (kinds == "bydel").to_numpy()
    codes = raw.loc[is_bydel, "_code"].to_numpy()
    population = values[is_bydel].to_numpy(dtype=np.int64)
    if int(population.sum()) + unknown != total:
        raise InputError(
            Problem(
                name,
                None,
                column,
                f"For {chosen} er summen av bydelene ({int(population.sum())}) pluss uoppgitt "
                f"bydel ({unknown}) ikke lik Oslo i alt ({total}).",
            )
        )
    out = pd.DataFrame(
        {
            "bydel_code": codes,
            "bydel": [BYDEL_CODES[c] for c in codes],
            "population": population,
        }
    )
    out = out.sort_values("bydel_code").reset_index(drop=True)
    out.attrs.update(
        population_year=chosen,
        city_total=total,
        unknown_bydel=unknown,
        years=sorted(years),
        source_path=name,
    )
    return out


def _read_series_csv(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (
        OSError,
        EOFError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ) as exc:
        raise unreadable_error(path, exc) from exc
    missing = [c for c in ("bydel_code", "row_type") if c not in raw.columns]
    if missing:
        raise InputError(
            Problem(str(path), 1, missing[0], "Kolonnen mangler (ventet bydel_code, row_type, …).")
        )
    return raw


def _series_years(raw: pd.DataFrame, name: str) -> dict[int, str]:
    years = {
        int(m.group(1)): str(col)
        for col in raw.columns
        if (m := re.fullmatch(r"pop_(\d{4})_01_01", str(col)))
    }
    if not years:
        raise InputError(Problem(name, 1, None, "Ingen kolonne av typen pop_<år>_01_01."))
    return years


def _series_kinds(raw: pd.DataFrame, name: str) -> pd.Series:
    """Classify each row by its code (total, unknown, bydel) and check ``row_type`` against it."""
    problems: list[Problem] = []
    kinds: list[str] = []
    codes: list[str] = []
    for i, (code_text, row_type) in enumerate(zip(raw["bydel_code"], raw["row_type"], strict=True)):
        line = i + 2
        code = str(code_text).strip()
        if code == CITY_CODE:
            kind = "total"
        elif code == UNKNOWN_CODE:
            kind = "unknown"
        elif (normalise_bydel(code) or code) in BYDEL_CODES:
            kind = "bydel"
            code = normalise_bydel(code) or code
        else:
            kind = "ukjent"
            problems.append(Problem(name, line, "bydel_code", f"Ukjent bydelskode «{code}»."))
        if kind != "ukjent" and str(row_type).strip() not in _ROW_TYPES[kind]:
            problems.append(
                Problem(
                    name, line, "row_type", f"Radtypen «{row_type}» passer ikke til koden {code}."
                )
            )
        kinds.append(kind)
        codes.append(code)
    raw["_code"] = codes
    series = pd.Series(kinds, index=raw.index)
    problems += _series_completeness(raw, series, name)
    if problems:
        raise InputError(problems)
    return series


def _series_completeness(raw: pd.DataFrame, kinds: pd.Series, name: str) -> list[Problem]:
    problems: list[Problem] = []
    seen = raw["_code"].duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(seen):
        code = raw["_code"].iloc[i]
        problems.append(Problem(name, int(i) + 2, "bydel_code", f"Koden {code} står to ganger."))
    wanted = [CITY_CODE, UNKNOWN_CODE, *BYDEL_CODES]
    for code in wanted:
        if code not in set(raw["_code"]):
            problems.append(Problem(name, None, "bydel_code", f"Raden for {code} mangler."))
    return problems


def _series_values(raw: pd.DataFrame, column: str, name: str) -> pd.Series:
    text = raw[column].astype(str).str.strip()
    ok = text.str.fullmatch(r"\d+")
    if not ok.all():
        problems = [
            Problem(name, int(i) + 2, column, f"«{text.iloc[i]}» er ikke et helt tall ≥ 0.")
            for i in np.flatnonzero(~ok.to_numpy())
        ]
        raise InputError(problems)
    return text.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Grid files
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Demand from a grid
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Uniform spread
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Choosing a method
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Need proxy
# --------------------------------------------------------------------------------------------


_UNKNOWN_NAME = "Uoppgitt bydel (Oslo i alt minus the rows above)"


def series_from_csdata(frame: pd.DataFrame, first_year: int = 2015) -> str:
    r"""The bydel series CSV from csdata's ``nor_population_by_age_b2024`` (Folkehelseinstituttet).

    For Oslo (``municip_nor0301``), its 15 bydeler (``wardoslo_nor0301xx``) and Sentrum/Marka
    (``extrawardoslo_nor030116``/``…17``): sex ``total``, rows with ``imputed == False`` only,
    summed over age, one column per year from ``first_year``. The residents with unknown bydel
    (030199) are derived:

    .. math::

        P_{030199} = P_{0301} - \sum_{b \ne 0301} P_b .

    Returns the CSV text that :func:`load_bydel_series` reads (the layout of the reference data's
    ``population/ssb_bydel_population_2015_2026.csv``).
    """
    wanted = {f"municip_nor{CITY_CODE}"} | {
        f"{'extrawardoslo' if code in ('030116', MARKA_CODE) else 'wardoslo'}_nor{code}"
        for code in BYDEL_CODES
        if code != UNKNOWN_CODE
    }
    rows = frame[
        frame["location_code"].isin(wanted)
        & (frame["sex"] == "total")
        & ~frame["imputed"].astype(bool)
        & (frame["calyear"] >= first_year)
    ]
    table = rows.groupby(["location_code", "calyear"])["pop_jan1_n"].sum().unstack("calyear")
    table.index = [str(code).rsplit("_nor", 1)[1] for code in table.index]
    table = table.sort_index()
    years = [int(y) for y in table.columns]
    values = table.round().astype(np.int64)
    others = values.drop(index=CITY_CODE).sum()
    lines = ["bydel_code,row_type,bydel," + ",".join(f"pop_{y}_01_01" for y in years)]

    def line(code: str, kind: str, name: str, numbers: Any) -> str:
        return ",".join([code, kind, name, *(str(int(v)) for v in numbers)])

    lines.append(line(CITY_CODE, "total", "Oslo i alt", values.loc[CITY_CODE]))
    for code in values.index.drop(CITY_CODE):
        kind = "sentrum_or_marka" if code in ("030116", MARKA_CODE) else "bydel"
        lines.append(line(code, kind, BYDEL_CODES[code], values.loc[code]))
    lines.append(
        line(UNKNOWN_CODE, "unallocated_derived", _UNKNOWN_NAME, values.loc[CITY_CODE] - others)
    )
    return "\n".join(lines) + "\n"
