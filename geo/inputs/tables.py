"""Tables from bytes: encoding, delimiter, CSV and XLSX, as frames of strings.

Row labels are the rows as a person sees them (header = line 1), so every message can name them.
"""

from __future__ import annotations

import csv
import io as _stdio
import os
import re

import pandas as pd

from geo.errors import InputError, Problem
from geo.labels import short_text

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_HEADER_CHARS",
    "MAX_ROWS_ENV",
    "TABLE_SUFFIXES",
    "decode_text",
    "max_rows",
    "read_csv_bytes",
    "read_xlsx_bytes",
    "sniff_delimiter",
]


TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


MAX_ROWS_ENV = "OSLO_COVERAGE_MAX_ROWS"


DEFAULT_MAX_ROWS = 200_000
"""More rows than this are refused with a clear message (a planner's file is never that big;
a million-row file is most likely an export of raw data that should be aggregated first)."""


def max_rows() -> int:
    """Row cap for one file (env ``OSLO_COVERAGE_MAX_ROWS``, default 200 000)."""
    try:
        return int(os.environ.get(MAX_ROWS_ENV, DEFAULT_MAX_ROWS))
    except ValueError:
        return DEFAULT_MAX_ROWS


_SNIFF_CHARS = 65_536
"""Only the start of a file is used to guess its delimiter (the csv sniffer is slow on long lines)."""


MAX_COLUMNS = 1_000


MAX_HEADER_CHARS = 100_000


def _looks_like_utf16(head: bytes) -> str | None:
    """Return ``"utf-16-le"``/``"utf-16-be"`` for UTF-16 text without a BOM, else ``None``."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _binary_error(file: str) -> InputError:
    return InputError(
        Problem(
            file,
            None,
            None,
            "Filen ser ut til å være binær, ikke tekst/CSV. Lagre den som CSV (UTF-8).",
        )
    )


def decode_text(data: bytes, file: str) -> tuple[str, list[Problem]]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 (with or without BOM) or Windows-1252.

    Binary content (many NUL or control bytes) is refused. A few stray NUL bytes in an otherwise
    readable text are removed with a warning. Returns the text and any warnings (for example when
    Windows-1252 was assumed).
    """
    problems: list[Problem] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), problems
        except UnicodeDecodeError:
            raise _binary_error(file) from None
    head = data[:_SNIFF_CHARS]
    utf16 = _looks_like_utf16(head) if b"\x00" in head else None
    if utf16 is not None:
        try:
            return data.decode(utf16), problems
        except UnicodeDecodeError:
            raise _binary_error(file) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        head = data[:_SNIFF_CHARS]
    control = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if head.count(0) > len(head) / 100 or control > len(head) / 20:
        raise _binary_error(file)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(
            Problem(
                file,
                line,
                None,
                "Filen inneholder NUL-tegn (tegnkode 0); de er fjernet. Lagre filen på nytt som CSV (UTF-8).",
                "advarsel",
            )
        )
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8"), problems
    except UnicodeDecodeError as exc:
        # A file that is mostly UTF-8 with a few Windows-1252 bytes is "mixed": say where.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        line = data[: exc.start].count(b"\n") + 1
        has_utf8_multibyte = re.search(rb"[\xc3\xc5][\x80-\xbf]", data) is not None
        msg = (
            "Filen blander UTF-8 og Windows-1252 (første avvik på linje "
            f"{line}); lest som Windows-1252 – sjekk æ, ø og å. Lagre filen som UTF-8."
            if has_utf8_multibyte
            else "Filen er ikke UTF-8; lest som Windows-1252 (vanlig fra Excel)."
        )
        return text, [*problems, Problem(file, None, None, msg, "advarsel")]


_DELIMITERS = (";", ",", "\t", "|")


def _field_counts(sample: str, delimiter: str, truncated: bool) -> list[int]:
    """Number of fields per record in ``sample`` (quote-aware); the cut last record is left out."""
    counts: list[int] = []
    try:
        for record in csv.reader(_stdio.StringIO(sample), delimiter=delimiter):
            if record:
                counts.append(len(record))
            if len(counts) > 200:
                break
    except csv.Error:
        pass
    if truncated and len(counts) > 1:
        counts = counts[:-1]
    return counts


def _sniff(text: str) -> tuple[str, list[int]]:
    """Choose the delimiter whose header splits into most fields that the rows agree with.

    Returns the delimiter and the field counts (header first) it gives on the start of the file.
    """
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > _SNIFF_CHARS
    best: tuple[float, int, int] | None = None
    chosen, chosen_counts = ",", _field_counts(sample, ",", truncated)
    for order, delimiter in enumerate(_DELIMITERS):
        counts = _field_counts(sample, delimiter, truncated)
        if not counts or counts[0] < 2:
            continue
        rows = counts[1:]
        agree = sum(c == counts[0] for c in rows) / len(rows) if rows else 1.0
        score = (agree, counts[0], -order)
        if best is None or score > best:
            best, chosen, chosen_counts = score, delimiter, counts
    return chosen, chosen_counts


def sniff_delimiter(text: str) -> str:
    """Guess the delimiter (``;``, ``,``, tab or ``|``) from the start of the text, quote-aware.

    The delimiter that splits the header into the most fields wins, provided the data rows
    agree with it; ties go to ``;`` (the Norwegian Excel default), then ``,``, tab and ``|``.
    """
    return _sniff(text)[0]


def read_csv_bytes(data: bytes, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse CSV bytes into a frame of strings; row numbers as in the file (header = line 1)."""
    text, problems = decode_text(data, file)
    if not text.strip():
        raise InputError(Problem(file, None, None, "Filen er tom."))
    text = text.lstrip("\ufeff")
    if "\n" not in text and "\r" in text:  # old Mac line endings
        text = text.replace("\r", "\n")
    first_break = text.find("\n")
    header_len = len(text) if first_break < 0 else first_break
    if header_len > MAX_HEADER_CHARS:
        raise InputError(
            Problem(
                file,
                1,
                None,
                f"Første linje er {header_len:,} tegn lang".replace(",", " ")
                + ". Dette ser ikke ut som en tabell med overskrifter; lagre filen som CSV med én rad per linje.",
            )
        )
    delimiter = _checked_delimiter(text, file)
    limit = max_rows()
    try:
        frame = pd.read_csv(
            _stdio.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            index_col=False,
            nrows=limit + 1,
            on_bad_lines="error",
            engine="python" if delimiter not in {",", ";", "\t"} else "c",
        )
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        row = int(line.group(1)) if line else None
        raise InputError(_field_count_problem(file, row, delimiter)) from None
    except pd.errors.EmptyDataError:
        raise InputError(Problem(file, None, None, "Filen er tom.")) from None
    if len(frame) > limit:
        raise InputError(
            Problem(
                file,
                None,
                None,
                f"Filen har mer enn {limit:,} rader".replace(",", " ")
                + ". Del den opp eller summer per bydel/punkt før opplasting.",
            )
        )
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if len(frame.columns) == 1 and len(frame):
        problems.append(
            Problem(
                file,
                None,
                None,
                "Fant bare én kolonne: er skilletegnet riktig? Bruk semikolon eller komma.",
                "advarsel",
            )
        )
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame, problems


def _checked_delimiter(text: str, file: str) -> str:
    """The delimiter, after refusing a file whose rows do not fit its header."""
    delimiter, counts = _sniff(text)
    if counts and counts[0] > MAX_COLUMNS:
        raise InputError(
            Problem(
                file,
                1,
                None,
                f"Filen har {counts[0]} kolonner (maks {MAX_COLUMNS}). Sjekk skilletegnet.",
            )
        )
    rows = counts[1:]
    if counts and counts[0] > 1 and rows and sum(c == 1 for c in rows) > len(rows) / 2:
        others = [
            d
            for d in _DELIMITERS
            if d != delimiter
            and sum(c > 1 for c in _field_counts(text[:_SNIFF_CHARS], d, True)[1:]) > len(rows) / 2
        ]
        used = f" (radene ser ut til å bruke «{_delimiter_name(others[0])}»)" if others else ""
        raise InputError(
            Problem(
                file,
                2,
                None,
                f"Overskriften er delt med «{_delimiter_name(delimiter)}», men radene har bare én "
                f"kolonne{used}. Bruk samme skilletegn i hele filen.",
            )
        )
    too_long = [i for i, c in enumerate(counts[1:], start=2) if c > counts[0]]
    if too_long:
        # pandas would silently use the first column as an index (or drop the extra field).
        raise InputError(_field_count_problem(file, too_long[0], delimiter))
    return delimiter


def _field_count_problem(file: str, row: int | None, delimiter: str) -> Problem:
    return Problem(
        file,
        row,
        None,
        f"Raden har flere felt enn overskriften (skilletegn «{_delimiter_name(delimiter)}»). "
        "Sjekk skilletegn og anførselstegn.",
    )


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tabulator"}.get(delimiter, delimiter)


def read_xlsx_bytes(
    data: bytes, file: str, sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one sheet of an XLSX workbook as strings (the first non-empty sheet unless named)."""
    problems: list[Problem] = []
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(_stdio.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(
            Problem(
                file,
                None,
                None,
                f"Kunne ikke åpne regnearket ({type(exc).__name__}). Er det en gyldig .xlsx?",
            )
        ) from None
    names = workbook.sheetnames
    if sheet is not None and sheet not in names:
        raise InputError(
            Problem(file, None, None, f"Arket «{sheet}» finnes ikke (ark: {', '.join(names)}).")
        )
    chosen = sheet
    rows: list[tuple[object, ...]] = []
    for name in [sheet] if sheet else names:
        ws = workbook[name]
        try:
            rows = [r for r in ws.iter_rows(values_only=True, max_row=max_rows() + 2)]
        except Exception as exc:  # broken sheet XML surfaces only while reading rows
            workbook.close()
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Arket «{short_text(name)}» kunne ikke leses ({type(exc).__name__}). "
                    "Lagre regnearket på nytt som .xlsx eller CSV.",
                )
            ) from None
        if any(any(v not in (None, "") for v in r) for r in rows):
            chosen = name
            break
    workbook.close()
    if chosen is None or not rows:
        raise InputError(Problem(file, None, None, "Regnearket er tomt."))
    if len(names) > 1:
        others = [n for n in names if n != chosen]
        problems.append(
            Problem(
                file,
                None,
                None,
                f"Regnearket har flere ark; leste «{chosen}», hoppet over: {', '.join(others)}.",
                "advarsel",
            )
        )
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    body = [["" if v is None else _cell_to_str(v) for v in r] for r in rows[1:]]
    if len(body) > max_rows():
        raise InputError(Problem(file, None, None, f"Arket har mer enn {max_rows()} rader."))
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=header, dtype=str)
    frame = frame.loc[:, [c != "" for c in frame.columns]]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = frame[~(frame == "").all(axis=1)]
    return frame, problems


def _cell_to_str(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
