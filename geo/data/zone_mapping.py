"""A planner's own zone mapping (CSV/XLSX): every delbydel once, problems named by row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geo.data.zone_set import (
    LAYER_SOURCE,
    UNASSIGNED_CODE,
    ZoneMeta,
    ZoneSet,
    check_layer,
    make_zone_set,
    normalise_delbydel_codes,
)
from geo.errors import InputError, Problem
from geo.inputs.read import read_bytes
from geo.names import BYDEL_CODES

__all__ = [
    "UNASSIGNED_MARKERS",
    "mapping_from_rows",
    "read_zone_mapping",
]

UNASSIGNED_MARKERS = frozenset({"ikke-tildelt", "ikke-tilordnet", "ikke-i-sone", "unassigned"})
"""Zone-code cells that mark a delbydel as deliberately unassigned (after lower-casing and
turning spaces and underscores into hyphens: «Ikke tildelt», «ikke_tildelt», «IKKE-TILDELT»)."""


# Column aliases, compared after _column_key (lower case; spaces, hyphens and dots → «_»).
# Earlier names win when a file has several.
_DELBYDEL_ALIASES = (
    "delbydel_code",
    "delbydelskode",
    "delbydel_kode",
    "delbydelsnummer",
    "delbydel_nummer",
    "delbydelsnr",
    "delbydel_nr",
    "delbydel",
)


_ZONE_ALIASES = (
    "zone_code",
    "sonekode",
    "sone_kode",
    "sonenummer",
    "sone_nr",
    "sone",
    "zone",
    "new_bydel_number",
    "ny_bydel_nr",
    "nytt_bydelsnummer",
    "ny_bydel",
)


_ZONE_NAME_ALIASES = (
    "zone_name",
    "sonenavn",
    "sone_navn",
    "new_bydel_name",
    "ny_bydel_navn",
    "nytt_bydelsnavn",
)


_DELBYDEL_NAME_ALIASES = ("delbydel_name", "delbydelsnavn", "delbydel_navn")


_BASIS_ALIASES = ("basis", "grunnlag")


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def read_zone_mapping(
    data: bytes,
    file: str,
    delbydeler: gpd.GeoDataFrame,
    key: str,
    label: str,
    status: str,
    *,
    missing_as_unassigned: bool = False,
    sheet: str | None = None,
) -> ZoneSet:
    """Read a planner's mapping from delbydel to zone (CSV or XLSX) and build the zone set.

    Columns are found by name, ignoring case, surrounding spaces, and spaces/hyphens/dots versus
    underscores:

    * delbydel code (required): ``delbydel_code``, ``delbydelskode``, ``delbydel_kode``,
      ``delbydelsnummer``, ``delbydel_nummer``, ``delbydelsnr``, ``delbydel_nr``, ``delbydel``;
    * zone code (required): ``zone_code``, ``sonekode``, ``sone_kode``, ``sonenummer``,
      ``sone_nr``, ``sone``, ``zone``, ``new_bydel_number``, ``ny_bydel_nr``,
      ``nytt_bydelsnummer``, ``ny_bydel``;
    * zone name (optional): ``zone_name``, ``sonenavn``, ``sone_navn``, ``new_bydel_name``,
      ``ny_bydel_navn``, ``nytt_bydelsnavn``; without it a zone is named by its code
      («Sone 3» for a number);
    * delbydel name (optional, checked against the layer): ``delbydel_name``, ``delbydelsnavn``,
      ``delbydel_navn`` (and ``delbydel`` when another column holds the code); a bare
      ``navn`` is ignored, since it could name either the delbydel or the zone;
    * basis (optional, kept for display): ``basis``, ``grunnlag``.

    Delbydel codes may be written ``0102``, ``102``, ``102.0``, `` 0102 `` or ``03010102``; a
    delbydel name from the layer (``Grønland``) is accepted too, with a warning. A zone code of
    «ikke tildelt» (see :data:`UNASSIGNED_MARKERS`) marks a delbydel deliberately unassigned.

    Parameters
    ----------
    data
        The file's bytes.
    file
        File name as the user knows it (chooses CSV or XLSX; used in messages).
    delbydeler
        Delbydel layer as from :func:`geo.boundaries.load_delbydeler`.
    key
        Identifier of the new zone set (e.g. ``"forslag-b"``).
    label
        Name shown everywhere (e.g. ``"Forslag B (høring 2025), ikke vedtatt"``).
    status
        Legal status (e.g. ``"ikke vedtatt"``, ``"vedtatt av bystyret 2026"``).
    missing_as_unassigned
        When True, delbydeler missing from the file go to the unassigned zone with a warning
        instead of being an error. They are still shown, never dropped.
    sheet
        Sheet of an XLSX workbook (the first non-empty one when ``None``).

    Returns
    -------
    ZoneSet
        Covering every delbydel of the layer once; warnings in ``problems``.

    Raises
    ------
    geo.io.InputError
        Listing every problem found (errors and warnings, by row) when the file cannot be used:
        unreadable or empty file, missing columns, an unknown or empty delbydel code, an empty
        zone code, a delbydel given two different zones, delbydeler missing from the file, or no
        zone at all.
    ValueError
        When ``key`` or ``label`` is empty.

    """
    if not key.strip() or not label.strip():
        raise ValueError("Soneinndelingen må ha en nøkkel og et navn.")
    if not file.lower().endswith(_TABLE_SUFFIXES):
        raise InputError(
            Problem(file, None, None, "En soneinndeling må være en CSV- eller XLSX-fil.")
        )
    frame, problems = read_bytes(data, file, sheet)
    rows = _pick_columns(frame, file)
    layer = check_layer(delbydeler)
    mapping, found = mapping_from_rows(rows, file, layer, missing_as_unassigned)
    return make_zone_set(
        ZoneMeta(
            key.strip(),
            label.strip(),
            status.strip(),
            f"Opplastet fil «{file}». {LAYER_SOURCE}",
            "soner",
        ),
        mapping,
        layer,
        problems + found,
    )


def _column_key(name: object) -> str:
    key = re.sub(r"[\s.\-]+", "_", str(name).strip().lower())
    return key.strip("_")


def _find(columns: dict[str, str], aliases: Sequence[str], taken: set[str]) -> str | None:
    for alias in aliases:
        column = columns.get(alias)
        if column is not None and column not in taken:
            return column
    return None


def _pick_columns(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Return the file's rows as ``delbydel, zone, zone_name, delbydel_name, basis`` (strings)."""
    columns: dict[str, str] = {}
    for column in frame.columns:
        columns.setdefault(_column_key(column), str(column))
    code_col = _find(columns, _DELBYDEL_ALIASES, set())
    zone_col = _find(columns, _ZONE_ALIASES, set())
    if code_col is None or zone_col is None:
        missing = [
            what
            for what, col in (("delbydelskode", code_col), ("sonekode", zone_col))
            if col is None
        ]
        found = ", ".join(f"«{c}»" for c in frame.columns) or "(ingen)"
        raise InputError(
            Problem(
                file,
                1,
                None,
                f"Fant ikke kolonne for {' og '.join(missing)}. Forventet kolonner: "
                f"delbydel_code (eller {', '.join(_DELBYDEL_ALIASES[1:])}), "
                f"zone_code (eller {', '.join(_ZONE_ALIASES[1:])}) og gjerne "
                f"zone_name (eller {', '.join(_ZONE_NAME_ALIASES[1:])}). Filen har: {found}.",
            )
        )
    taken = {code_col, zone_col}
    name_col = _find(columns, _ZONE_NAME_ALIASES, taken)
    dname_col = _find(columns, (*_DELBYDEL_NAME_ALIASES, "delbydel"), taken)
    basis_col = _find(columns, _BASIS_ALIASES, taken)
    if frame.empty:
        raise InputError(Problem(file, None, None, "Filen har overskrifter, men ingen rader."))
    empty = pd.Series("", index=frame.index, dtype=object)

    def col(name: str | None) -> pd.Series:
        return empty if name is None else frame[name].astype(str).str.strip()

    rows = pd.DataFrame(
        {
            "delbydel": col(code_col),
            "zone": col(zone_col),
            "zone_name": col(name_col),
            "delbydel_name": col(dname_col),
            "basis": col(basis_col),
        },
        index=frame.index,
    )
    rows.attrs["columns"] = {"delbydel": code_col, "zone": zone_col}
    return rows


def _normalise_zone(value: str) -> str:
    value = re.sub(r"\s+", " ", value.strip())
    if re.fullmatch(r"\d+[.,]0+", value):
        value = re.split(r"[.,]", value)[0]
    if re.sub(r"[\s_]+", "-", value.lower()) in UNASSIGNED_MARKERS:
        return UNASSIGNED_CODE
    return value


def _name_key(name: object) -> str:
    text = unicodedata.normalize("NFC", str(name)).casefold()
    return re.sub(r"\s+", " ", text).strip()


def _and(items: Sequence[str]) -> str:
    """``a``, ``a og b``, ``a, b og c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _rows_text(rows: Iterable[int], limit: int = 10) -> str:
    numbers = [str(r) for r in rows]
    if len(numbers) > limit:
        return "rad " + ", ".join(numbers[:limit]) + f" og {len(numbers) - limit} til"
    return "rad " + _and(numbers)


def _basis_kind(text: str) -> str:
    low = text.lower()
    if not low:
        return "oppgitt"
    if "ikke angitt" in low or "ikke oppgitt" in low or "not given" in low:
        return "ikke oppgitt"
    if low.startswith(("avledet", "utledet", "derived")):
        return "avledet"
    return "oppgitt"


class _Row(NamedTuple):
    row: int
    code: str
    zone: str
    zone_name: str
    basis: str


class _Lookups(NamedTuple):
    file: str
    names: dict[str, str]
    """Layer delbydel code → name."""
    by_name: dict[str, str]
    """Normalised delbydel name → code (empty when names are not unique)."""
    columns: dict[str, str | None]
    """Role (``delbydel``, ``zone``) → the file's column name, for messages."""


def _check_row(
    row: int, raw: pd.Series, code: str | None, look: _Lookups
) -> tuple[_Row | None, list[Problem]]:
    """Check one row; return it (or ``None`` when it is an error) and its problems."""
    problems: list[Problem] = []
    file, names = look.file, look.names
    given = str(raw["delbydel"])
    code_col = look.columns.get("delbydel")
    zone_col = look.columns.get("zone")
    if code is None or code not in names:
        return None, [Problem(file, row, code_col, _unknown_code_message(given, names))]
    zone = _normalise_zone(str(raw["zone"]))
    if not zone:
        return None, [
            Problem(
                file,
                row,
                zone_col,
                f"Sonekoden mangler for delbydel {code} {names[code]}. Skriv sonekoden, eller "
                "«ikke tildelt» hvis delbydelen bevisst ikke skal høre til noen sone.",
            )
        ]
    dname = str(raw["delbydel_name"]).strip()
    if dname and _name_key(dname) != _name_key(names[code]):
        problems.append(
            Problem(
                file,
                row,
                None,
                f"Delbydel {code} heter «{names[code]}» i kartlaget, men «{dname}» i filen; "
                "koden er brukt. Sjekk at koden er riktig.",
                "advarsel",
            )
        )
    basis = str(raw["basis"]).strip() or f"{file}, rad {row}"
    return _Row(row, code, zone, str(raw["zone_name"]).strip(), basis), problems


def _codes_from_names(
    rows: pd.DataFrame, codes: list[str | None], look: _Lookups
) -> tuple[list[str | None], list[Problem]]:
    """Read delbydel names written instead of codes (``Grønland`` → ``0102``), with one warning."""
    out = list(codes)
    used: list[int] = []
    for i, (row, given) in enumerate(zip(rows.index, rows["delbydel"], strict=True)):
        code = look.by_name.get(_name_key(given)) if out[i] is None else None
        if code is not None:
            out[i] = code
            used.append(int(str(row)))
    if not used:
        return out, []
    shown = _rows_text(used)
    message = (
        f"{len(used)} rader oppgir delbydelen med navn i stedet for kode ({shown}); tolket "
        "etter navnene i kartlaget. Bruk gjerne koden (f.eks. 0102 for Grønland)."
    )
    return out, [Problem(look.file, used[0], look.columns.get("delbydel"), message, "advarsel")]


def _unknown_code_message(given: str, names: dict[str, str]) -> str:
    shown = given if given else "(tom)"
    if not given:
        return "Delbydelskoden mangler."
    if re.fullmatch(r"0301\d{2}", given) and given in BYDEL_CODES:
        return (
            f"«{shown}» er bydelskoden til {BYDEL_CODES[given]}, ikke en delbydelskode. "
            "Oppgi hver delbydel med sin kode på 4 sifre (f.eks. 0102)."
        )
    return (
        f"«{shown}» er ikke en delbydelskode i kartlaget ({len(names)} delbydeler med koder på "
        "4 sifre, f.eks. 0102 Grønland)."
    )


def mapping_from_rows(
    rows: pd.DataFrame, file: str, layer: gpd.GeoDataFrame, missing_as_unassigned: bool
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate the rows of a mapping file; return one mapping row per layer delbydel.

    Raises :class:`InputError` with every problem (errors and warnings) when any is an error.
    """
    names = dict(zip(layer["delbydel_code"], layer["delbydel"], strict=True))
    by_name = {_name_key(n): c for c, n in names.items()}
    if len(by_name) < len(names):  # names not unique: do not guess codes from names
        by_name = {}
    blank = (rows["delbydel"] == "") & (rows["zone"] == "") & (rows["zone_name"] == "")
    rows = rows[~blank]
    codes = [c if isinstance(c, str) else None for c in normalise_delbydel_codes(rows["delbydel"])]
    good: list[_Row] = []
    seen: set[str] = set()  # codes named in a row, even a bad one: not reported as missing
    look = _Lookups(file, names, by_name, rows.attrs.get("columns", {}))
    codes, problems = _codes_from_names(rows, codes, look)
    for (row, raw), code in zip(rows.iterrows(), codes, strict=True):
        checked, found = _check_row(int(str(row)), raw, code, look)
        problems += found
        if code is not None and code in names:
            seen.add(code)
        if checked is not None:
            seen.add(checked.code)
            good.append(checked)
    good, found = _resolve_duplicates(good, look)
    problems += found
    missing = [c for c in names if c not in seen]
    if missing:
        listed = ", ".join(f"{c} {names[c]}" for c in missing)
        if missing_as_unassigned:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    f"{len(missing)} delbydeler står ikke i filen og er satt til «ikke tildelt»: "
                    f"{listed}.",
                    "advarsel",
                )
            )
            good += [_Row(0, c, UNASSIGNED_CODE, "", "mangler i filen") for c in missing]
        else:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    f"{len(missing)} av {len(names)} delbydeler mangler i filen: {listed}. Legg dem "
                    "til, eller skriv «ikke tildelt» som sonekode for dem som bevisst ikke skal "
                    "høre til noen sone.",
                )
            )
    if good and all(r.zone == UNASSIGNED_CODE for r in good):
        problems.append(Problem(file, None, None, "Ingen delbydel er tildelt en sone."))
    if any(p.severity == "feil" for p in problems):
        raise InputError(sorted(problems, key=_problem_order))
    mapping, found = _assemble(good, names, file)
    return mapping, problems + found


def _problem_order(problem: Problem) -> tuple[int, int]:
    return (
        0 if problem.severity == "feil" else 1,
        problem.row if problem.row is not None else 10**9,
    )


def _resolve_duplicates(good: list[_Row], look: _Lookups) -> tuple[list[_Row], list[Problem]]:
    """Keep one row per delbydel; a delbydel given two different zones is an error."""
    file, names, columns = look.file, look.names, look.columns
    by_code: dict[str, list[_Row]] = {}
    for r in good:
        by_code.setdefault(r.code, []).append(r)
    problems: list[Problem] = []
    kept: list[_Row] = []
    for code, group in by_code.items():
        kept.append(group[0])
        if len(group) == 1:
            continue
        where = _rows_text(r.row for r in group)
        zones = {r.zone for r in group}
        if len(zones) == 1:
            problems.append(
                Problem(
                    file,
                    group[1].row,
                    columns.get("delbydel"),
                    f"Delbydel {code} {names[code]} står flere ganger ({where}) med samme sone "
                    f"«{group[0].zone}»; telt én gang.",
                    "advarsel",
                )
            )
        else:
            detail = ", ".join(f"rad {r.row}: sone «{r.zone}»" for r in group)
            problems.append(
                Problem(
                    file,
                    group[1].row,
                    columns.get("delbydel"),
                    f"Delbydel {code} {names[code]} er tildelt flere ganger ({detail}). Hver "
                    "delbydel skal stå på én rad.",
                )
            )
    return kept, problems


def _assemble(
    good: list[_Row], names: dict[str, str], file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Build the mapping frame (layer order) and settle one name per zone."""
    problems: list[Problem] = []
    frame = pd.DataFrame(good, columns=list(_Row._fields)).set_index("code").reindex(list(names))
    zone_names: dict[str, str] = {}
    for zone, group in frame.groupby("zone", sort=False):
        given = [n for n in group["zone_name"] if n]
        if not given:
            zone_names[str(zone)] = str(zone) if not str(zone).isdigit() else f"Sone {zone}"
            continue
        counts = pd.Series(given).value_counts(sort=False)
        best = str(counts.idxmax())
        zone_names[str(zone)] = best
        if len(counts) > 1 and zone != UNASSIGNED_CODE:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    f"Sone «{zone}» har flere navn ({', '.join(map(str, counts.index))}); "
                    f"bruker «{best}».",
                    "advarsel",
                )
            )
    real = {z: n for z, n in zone_names.items() if z != UNASSIGNED_CODE}
    clashes = pd.Series(real).loc[lambda s: s.duplicated(keep=False)]
    for name, same in clashes.groupby(clashes):
        problems.append(
            Problem(
                file,
                None,
                None,
                f"Sonene {_and([f'«{z}»' for z in same.index])} har samme navn «{name}».",
                "advarsel",
            )
        )
    kinds = frame["basis"].map(_basis_kind)
    kinds[frame["basis"] == "mangler i filen"] = "ikke oppgitt"
    mapping = pd.DataFrame(
        {
            "delbydel_code": list(names),
            "delbydel": list(names.values()),
            "zone_code": frame["zone"].to_numpy(dtype=object),
            "zone_name": frame["zone"].map(zone_names).to_numpy(dtype=object),
            "basis": frame["basis"].to_numpy(dtype=object),
            "basis_kind": kinds.to_numpy(dtype=object),
        }
    )
    return mapping, problems
