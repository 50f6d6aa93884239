"""Read and validate planners' own files: CSV, XLSX, GeoJSON, GeoPackage and zipped Shapefile.

Every problem is reported as a :class:`Problem` naming the file, the row (as a person sees it: the
line in the CSV, the row in the spreadsheet, the feature number in a vector file), the column and
what is wrong and what to do. Good rows are kept. Nothing here runs or unpickles what it reads.

Coordinates may come as

* longitude/latitude columns (WGS84, EPSG:4326) — names such as ``lat``/``lon``,
  ``breddegrad``/``lengdegrad``; swapped columns are detected from Oslo's extent;
* easting/northing columns in EPSG:25832 (UTM 32) or EPSG:25833 (UTM 33) — names such as
  ``x``/``y``, ``øst``/``nord``, ``easting``/``northing``; the zone is told apart by the easting
  (Oslo lies near 600 000 m in zone 32 and near 260 000 m in zone 33);
* a WKT ``geometry`` column, or the geometry of a vector file.

Everything is returned in EPSG:25832.
"""

from __future__ import annotations

import csv
import io as _stdio
import math
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.names import normalise_bydel, suggest_bydel

MAX_ROWS_ENV = "OSLO_COVERAGE_MAX_ROWS"
DEFAULT_MAX_ROWS = 200_000
"""More rows than this are refused with a clear message (a planner's file is never that big;
a million-row file is most likely an export of raw data that should be aggregated first)."""

MAX_ZIP_MEMBERS = 200
MAX_ZIP_RATIO = 100.0
MAX_ZIP_TOTAL_BYTES = 1_000_000_000

Severity = Literal["feil", "advarsel"]
CoordSystem = Literal["EPSG:4326", "EPSG:25832", "EPSG:25833", "geometri", "ingen"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes
    ----------
    file
        File name as the user knows it.
    row
        Row number as the user sees it (CSV line / spreadsheet row / feature number), or ``None``
        for a problem with the whole file.
    column
        Column name, or ``None``.
    message
        What is wrong and what to do, in bokmål.
    severity
        ``"feil"`` (the row was dropped, or the file could not be read) or ``"advarsel"`` (the row
        was kept, with a correction the user should know about).

    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: Severity = "feil"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column:
            where.append(f"kolonne «{self.column}»")
        return f"{', '.join(where)}: {self.message}"


class InputError(ValueError):
    """A file cannot be used at all. ``problems`` holds the reasons (at least one)."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LoadResult:
    """What came out of reading a file: the good rows and the problems.

    Attributes
    ----------
    frame
        The good rows (a GeoDataFrame in EPSG:25832 when the file had locations).
    problems
        Everything worth telling the user, errors and warnings.
    kind
        ``"points"``, ``"aggregate"`` (values per bydel), ``"polygons"`` or ``"table"``.
    coord_system
        How locations were read.
    n_input_rows
        Number of data rows in the file.

    """

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    kind: str = "table"
    coord_system: str = "ingen"
    n_input_rows: int = 0

    @property
    def errors(self) -> list[Problem]:
        """Problems that dropped a row or the file."""
        return [p for p in self.problems if p.severity == "feil"]

    def problems_frame(self) -> pd.DataFrame:
        """The problems as a table with bokmål headers: fil, rad, kolonne, alvorlighet, problem."""
        return problems_frame(self.problems)


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a readable table (``fil``, ``rad``, ``kolonne``, ``alvorlighet``, ``problem``)."""
    rows = [
        {
            "fil": p.file,
            "rad": p.row,
            "kolonne": p.column or "",
            "alvorlighet": p.severity,
            "problem": p.message,
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=["fil", "rad", "kolonne", "alvorlighet", "problem"])
    frame["rad"] = frame["rad"].astype("Int64")
    return frame


# --------------------------------------------------------------------------------------------
# Raw tables
# --------------------------------------------------------------------------------------------

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".shp"}


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
                    f"Arket «{_short(name)}» kunne ikke leses ({type(exc).__name__}). "
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


def _inspect_zip(data: bytes, file: str) -> zipfile.ZipFile:
    """Open a zip and check it before anything is read: members, paths, sizes, ratios."""
    try:
        archive = zipfile.ZipFile(_stdio.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(Problem(file, None, None, "Filen er ikke et gyldig zip-arkiv.")) from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(
            Problem(
                file, None, None, f"Zip-arkivet har {len(infos)} filer (maks {MAX_ZIP_MEMBERS})."
            )
        )
    total = 0
    for info in infos:
        name = info.filename
        if (
            name.startswith(("/", "\\"))
            or ".." in re.split(r"[\\/]", name)
            or re.match(r"^[A-Za-z]:", name)
        ):
            raise InputError(
                Problem(
                    file, None, None, f"Zip-arkivet har en ulovlig filsti ({name!r}) og avvises."
                )
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Zip-arkivet inneholder en symbolsk lenke ({name!r}) og avvises.",
                )
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_ZIP_RATIO and info.file_size > 1_000_000:
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Zip-arkivet er mistenkelig sterkt komprimert ({name!r}, {ratio:.0f}:1) og avvises.",
                )
            )
    if total > MAX_ZIP_TOTAL_BYTES:
        raise InputError(
            Problem(file, None, None, "Zip-arkivet pakker ut til mer enn 1 GB og avvises.")
        )
    return archive


def read_vector_bytes(data: bytes, file: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read GeoJSON, GeoPackage or a zipped Shapefile from bytes (no extraction to disk)."""
    import pyogrio

    suffix = Path(file).suffix.lower()
    problems: list[Problem] = []
    if suffix in {".geojson", ".json"}:
        head = data.lstrip()[:1]
        if head not in (b"{", b"["):
            raise InputError(
                Problem(
                    file, None, None, "Filen er ikke gyldig JSON/GeoJSON (starter ikke med «{»)."
                )
            )
        import json

        try:
            json.loads(data)
        except RecursionError:
            raise InputError(
                Problem(file, None, None, "Filen er ikke gyldig GeoJSON: den er nestet for dypt.")
            ) from None
        except ValueError as exc:
            where = (
                f" (linje {exc.lineno}, tegn {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Filen er ikke gyldig JSON{where}. Lagre den på nytt som GeoJSON.",
                )
            ) from None
    if suffix == ".zip":
        archive = _inspect_zip(data, file)
        shp = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        gpkg = [n for n in archive.namelist() if n.lower().endswith((".gpkg", ".geojson"))]
        if not shp and not gpkg:
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    "Zip-arkivet inneholder ingen .shp-, .gpkg- eller .geojson-fil.",
                )
            )
        member = (shp or gpkg)[0]
        if shp:
            stem = member[:-4]
            names = {n.lower() for n in archive.namelist()}
            for part in (".dbf", ".shx"):
                if (stem + part).lower() not in names:
                    raise InputError(
                        Problem(
                            file,
                            None,
                            None,
                            f"Shapefilen mangler {part}-filen. Ta med alle delene i zip-filen.",
                        )
                    )
            if (stem + ".prj").lower() not in names:
                problems.append(
                    Problem(
                        file,
                        None,
                        None,
                        "Shapefilen mangler .prj (koordinatsystem); koordinatsystemet gjettes fra verdiene.",
                        "advarsel",
                    )
                )
        try:
            gdf = pyogrio.read_dataframe(_stdio.BytesIO(_flat_zip(archive, member)))
        except Exception as exc:
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Kunne ikke lese {_short(member, 80)} i zip-filen: {_gdal_reason(exc)}",
                )
            ) from None
    else:
        try:
            gdf = pyogrio.read_dataframe(_stdio.BytesIO(data))
        except Exception as exc:
            raise InputError(
                Problem(file, None, None, f"Kunne ikke lese filen som geodata: {_gdal_reason(exc)}")
            ) from None
    if len(gdf) > max_rows():
        raise InputError(Problem(file, None, None, f"Filen har mer enn {max_rows()} objekter."))
    gdf.index = pd.RangeIndex(1, len(gdf) + 1)
    return gdf, problems


def _gdal_reason(exc: Exception) -> str:
    """A bokmål reason for a GDAL/pyogrio read error (no internal paths, no file content)."""
    text = str(exc).lower()
    if "not recognized as being in a supported file format" in text:
        return "formatet ble ikke gjenkjent. Lagre filen som GeoJSON, GeoPackage eller zippet Shapefile."
    if "not a database" in text or "malformed" in text:
        return "filen er ikke en gyldig GeoPackage (skadet database)."
    if "no layers" in text or "no such layer" in text:
        return "filen har ingen kartlag."
    return "filen er skadet eller i et format som ikke støttes."


def _flat_zip(archive: zipfile.ZipFile, member: str) -> bytes:
    """Copy one dataset's files (``stem.*``) to the root of a new in-memory zip.

    GDAL reads a zipped Shapefile from memory only when its files sit at the archive's root;
    nothing is extracted to disk.
    """
    stem = member.rsplit(".", 1)[0]
    buffer = _stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w") as flat:
        for name in archive.namelist():
            if name.rsplit(".", 1)[0] == stem:
                flat.writestr(Path(name).name, archive.read(name))
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Numbers and coordinates
# --------------------------------------------------------------------------------------------

_LAT = {"lat", "latitude", "breddegrad", "bredde", "y_lat", "lat_wgs84", "wgs84_lat"}
_LON = {
    "lon",
    "lng",
    "long",
    "longitude",
    "lengdegrad",
    "lengde",
    "x_lon",
    "lon_wgs84",
    "wgs84_lon",
}
_EAST = {
    "x",
    "easting",
    "east",
    "ost",
    "øst",
    "e",
    "utm_x",
    "x_utm",
    "ost_utm",
    "øst_utm",
    "koordinat_x",
}
_NORTH = {"y", "northing", "north", "nord", "n", "utm_y", "y_utm", "nord_utm", "koordinat_y"}
_WKT = {"wkt", "geometry", "geometri", "geom"}


def parse_number(text: object) -> float:
    """Parse a number written the Norwegian or English way.

    Handles decimal commas (``59,9127``), spaces or non-breaking spaces as thousands separators
    (``597 000``), dot or comma thousands separators (``1.234,5``, ``1,234.5``, ``1.234.567``),
    the minus sign ``−`` and a trailing unit-less ``.``. A single comma is a decimal comma
    (``1,234`` is 1.234). Returns ``nan`` for an empty cell and raises
    ``ValueError`` for text that is not a number.
    """
    if text is None:
        return math.nan
    if isinstance(text, (int, float, np.number)):
        return float(text)
    s = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if s == "":
        return math.nan
    s = s.replace("−", "-")
    if "," in s and "." in s:
        # "1.234,5" (Norwegian thousands dot) or "1,234.5" (English thousands comma).
        s = (
            s.replace(".", "").replace(",", ".")
            if s.rfind(",") > s.rfind(".")
            else s.replace(",", "")
        )
    elif s.count(",") == 1:
        s = s.replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}([.,])\d{3}(\1\d{3})+", s):
        # "1.234.567" or "1,234,567": repeated thousands separators, no decimals.
        s = s.replace(".", "").replace(",", "")
    value = float(s)  # raises ValueError for text
    return value


def _find_column(columns: Iterable[str], names: set[str]) -> str | None:
    for column in columns:
        key = re.sub(r"[\s\-]+", "_", str(column).strip().lower())
        if key in names:
            return str(column)
    return None


def _classify_xy(a: np.ndarray, b: np.ndarray) -> str | None:
    """Tell which coordinate system pairs ``(a, b)`` (as given: first, second column) are in.

    Returns ``"lonlat"``, ``"latlon"`` (swapped), ``"25832"``, ``"25833"``, ``"25832_swapped"`` or
    ``None`` if the values fit none of them around Oslo.
    """
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return None
    a, b = a[ok], b[ok]
    lon0, lat0, lon1, lat1 = settings.OSLO_BBOX_4326

    def share(mask: np.ndarray) -> float:
        return float(mask.mean())

    tests = {
        "lonlat": share((a >= lon0 - 1) & (a <= lon1 + 1) & (b >= lat0 - 1) & (b <= lat1 + 1)),
        "latlon": share((b >= lon0 - 1) & (b <= lon1 + 1) & (a >= lat0 - 1) & (a <= lat1 + 1)),
        "25832": share((a > 540_000) & (a < 660_000) & (b > 6_580_000) & (b < 6_720_000)),
        "25833": share((a > 200_000) & (a < 320_000) & (b > 6_580_000) & (b < 6_720_000)),
        "25832_swapped": share((b > 540_000) & (b < 660_000) & (a > 6_580_000) & (a < 6_720_000)),
    }
    best = max(tests, key=lambda k: tests[k])
    return best if tests[best] >= 0.5 else None


def _numeric_column(
    frame: pd.DataFrame, column: str, file: str, problems: list[Problem]
) -> np.ndarray:
    values = np.full(len(frame), np.nan)
    for pos, (row, raw) in enumerate(frame[column].items()):
        try:
            value = parse_number(raw)
        except ValueError:
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    column,
                    f"«{_short(raw)}» er ikke et tall; raden er hoppet over.",
                )
            )
            continue
        if math.isnan(value) and str(raw).strip().lower() in {"nan", "inf", "-inf", "infinity"}:
            problems.append(
                Problem(
                    file, _rownum(row), column, "Verdien er NaN/uendelig; raden er hoppet over."
                )
            )
            continue
        if math.isinf(value):
            problems.append(
                Problem(file, _rownum(row), column, "Verdien er uendelig; raden er hoppet over.")
            )
            continue
        values[pos] = value
    return values


def _rownum(label: object) -> int:
    """Row label (an int index) as ``int``, for messages."""
    return int(str(label))


def _short(value: object, limit: int = 40) -> str:
    """A safe, short rendering of a cell for messages (no raw content dumps)."""
    text = re.sub(r"[\x00-\x1f<>]", "?", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def points_from_columns(
    frame: pd.DataFrame, file: str, require: bool = True
) -> tuple[gpd.GeoDataFrame | None, list[Problem], str]:
    """Find coordinate columns in ``frame`` and build points in EPSG:25832.

    Rows with missing, non-numeric or out-of-Oslo coordinates are reported; their geometry is
    empty (the caller decides whether to keep them). Returns ``(points or None, problems, system)``.
    """
    problems: list[Problem] = []
    cols = list(frame.columns)
    wkt_col = _find_column(cols, _WKT)
    lat_col, lon_col = _find_column(cols, _LAT), _find_column(cols, _LON)
    east_col, north_col = _find_column(cols, _EAST), _find_column(cols, _NORTH)
    if lat_col and lon_col:
        first, second, named = lon_col, lat_col, "lonlat"
    elif east_col and north_col:
        first, second, named = east_col, north_col, "xy"
    elif wkt_col:
        return _points_from_wkt(frame, wkt_col, file)
    else:
        if require:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    "Fant ingen koordinatkolonner. Bruk «lat»/«lon» (WGS84) eller «x»/«y» / "
                    "«øst»/«nord» (EUREF89 UTM 32 eller 33), eller en WKT-kolonne «geometry». "
                    f"Kolonner i filen: {', '.join(_short(c) for c in cols[:20])}"
                    + (f" … (+{len(cols) - 20})" if len(cols) > 20 else "")
                    + ".",
                )
            )
        return None, problems, "ingen"
    a = _numeric_column(frame, first, file, problems)
    b = _numeric_column(frame, second, file, problems)
    system = _classify_xy(a, b)
    if system is None:
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Klarte ikke å avgjøre koordinatsystemet: verdiene passer verken lengde-/breddegrad "
                "eller UTM 32/33 rundt Oslo. Sjekk kolonnene og enhetene.",
            )
        )
        return None, problems, "ingen"
    if system == "latlon":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Lengde- og breddegrad ser ut til å være byttet om; de er byttet tilbake.",
                "advarsel",
            )
        )
        a, b = b, a
        system = "lonlat"
    if system == "25832_swapped":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Øst- og nordkoordinat ser ut til å være byttet om; de er byttet tilbake.",
                "advarsel",
            )
        )
        a, b = b, a
        system = "25832"
    if named == "lonlat" and system != "lonlat":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                f"Kolonnene heter lat/lon, men verdiene er UTM-koordinater (EPSG:{system}); lest som det.",
                "advarsel",
            )
        )
    if named == "xy" and system == "lonlat":
        problems.append(
            Problem(
                file,
                None,
                f"{first}/{second}",
                "Kolonnene heter x/y, men verdiene er lengde-/breddegrad; lest som WGS84.",
                "advarsel",
            )
        )
    crs = {"lonlat": settings.DISPLAY_CRS, "25832": "EPSG:25832", "25833": "EPSG:25833"}[system]
    geoms = gpd.GeoSeries.from_xy(a, b, crs=crs, index=frame.index)
    missing = ~(np.isfinite(a) & np.isfinite(b))
    geoms[missing] = None
    geoms = geoms.to_crs(settings.ANALYSIS_CRS)
    points = gpd.GeoDataFrame(frame.copy(), geometry=geoms, crs=settings.ANALYSIS_CRS)
    points = _flag_outside_oslo(points, file, problems, f"{first}/{second}")
    label = {"lonlat": "EPSG:4326"}.get(system, f"EPSG:{system}")
    return points, problems, label


def _points_from_wkt(
    frame: pd.DataFrame, column: str, file: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem], str]:
    problems: list[Problem] = []
    geoms: list[object] = []
    for row, raw in frame[column].items():
        text = str(raw).strip()
        if not text:
            geoms.append(None)
            continue
        try:
            geom = shapely.from_wkt(text)
        except Exception:  # shapely raises GEOSException / ValueError
            problems.append(
                Problem(file, _rownum(row), column, "Ugyldig WKT-geometri; raden er hoppet over.")
            )
            geom = None
        geoms.append(geom)
    gs = gpd.GeoSeries(geoms, index=frame.index)
    valid = gs.dropna()
    if valid.empty:
        problems.append(Problem(file, None, column, "Ingen gyldige geometrier."))
        return None, problems, "ingen"
    x, y = valid.centroid.x.to_numpy(), valid.centroid.y.to_numpy()
    system = _classify_xy(x, y)
    crs = {"lonlat": settings.DISPLAY_CRS, "25833": "EPSG:25833"}.get(
        system or "", settings.ANALYSIS_CRS
    )
    gs = gs.set_crs(crs).to_crs(settings.ANALYSIS_CRS)
    points = gpd.GeoDataFrame(frame.drop(columns=[column]), geometry=gs, crs=settings.ANALYSIS_CRS)
    points = _flag_outside_oslo(points, file, problems, column)
    return points, problems, "geometri"


def _flag_outside_oslo(
    points: gpd.GeoDataFrame, file: str, problems: list[Problem], column: str
) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = settings.OSLO_BBOX_25832
    geoms = points.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    cx = np.where(present, geoms.centroid.x if present.any() else np.nan, np.nan)
    cy = np.where(present, geoms.centroid.y if present.any() else np.nan, np.nan)
    outside = present & ~((cx >= minx) & (cx <= maxx) & (cy >= miny) & (cy <= maxy))
    for row in points.index[outside.to_numpy()]:
        problems.append(
            Problem(
                file,
                _rownum(row),
                column,
                "Punktet ligger utenfor Oslo; raden er hoppet over. Sjekk koordinatene.",
            )
        )
    points = points.copy()
    points.loc[outside.to_numpy(), "geometry"] = None
    points.attrs["outside_rows"] = [int(r) for r in points.index[outside.to_numpy()]]
    return points


# --------------------------------------------------------------------------------------------
# Whole files
# --------------------------------------------------------------------------------------------

_BYDEL_COLS = {
    "bydel",
    "bydel_code",
    "bydelskode",
    "bydelsnr",
    "bydelsnummer",
    "bydelsnavn",
    "hjemmebydel",
    "bydel_navn",
    "bydelnr",
    "bydelkode",
}


def read_bytes(
    data: bytes, file: str, sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read any supported file from bytes into a raw frame (strings; geometry if vector)."""
    suffix = Path(file).suffix.lower()
    if not data:
        raise InputError(Problem(file, None, None, "Filen er tom."))
    if suffix in {".csv", ".txt", ".tsv"}:
        return read_csv_bytes(data, file)
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx_bytes(data, file, sheet)
    if suffix == ".xls":
        raise InputError(
            Problem(
                file, None, None, "Det gamle .xls-formatet støttes ikke. Lagre som .xlsx eller CSV."
            )
        )
    if suffix in {".geojson", ".json", ".gpkg", ".zip"}:
        return read_vector_bytes(data, file)
    if suffix == ".shp":
        raise InputError(
            Problem(
                file,
                None,
                None,
                "En Shapefile består av flere filer: last opp en zip med .shp, .shx, .dbf og .prj.",
            )
        )
    raise InputError(
        Problem(
            file,
            None,
            None,
            f"Ukjent filtype «{suffix or '(ingen)'}». Bruk CSV, XLSX, GeoJSON, GeoPackage eller zippet Shapefile.",
        )
    )


def read_any(
    source: str | os.PathLike[str] | bytes,
    name: str | None = None,
    sheet: str | None = None,
    require_points: bool = False,
) -> LoadResult:
    """Read a planner's file and work out what it holds.

    Parameters
    ----------
    source
        A path, or the file's bytes (from an upload; then ``name`` gives the file name).
    name
        File name used in messages and to choose the reader.
    sheet
        Sheet name for XLSX.
    require_points
        When True, a file without usable locations is an error.

    Returns
    -------
    LoadResult
        ``kind`` is ``"points"`` (GeoDataFrame of points, EPSG:25832), ``"polygons"``,
        ``"aggregate"`` (a ``bydel_code`` column plus numeric columns) or ``"table"``.

    Raises
    ------
    InputError
        When the file cannot be used at all.

    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        file = name or "opplastet fil"
    else:
        path = Path(source)
        file = name or path.name
        if not path.exists():
            raise InputError(Problem(file, None, None, f"Fant ikke filen {path}."))
        limit = settings.max_upload_mb() * 1024 * 1024
        if path.stat().st_size > limit * 4:
            raise InputError(
                Problem(
                    file, None, None, f"Filen er for stor ({path.stat().st_size / 1e6:.0f} MB)."
                )
            )
        data = path.read_bytes()
    raw, problems = read_bytes(data, file, sheet)
    n_rows = len(raw)
    if n_rows == 0:
        raise InputError(
            [*problems, Problem(file, None, None, "Filen har overskrifter, men ingen datarader.")]
        )
    if isinstance(raw, gpd.GeoDataFrame):
        return _finish_vector(raw, file, problems, require_points)
    points, coord_problems, system = points_from_columns(raw, file, require=require_points)
    if points is not None:
        problems += coord_problems
        good = points[~(points.geometry.isna() | points.geometry.is_empty)]
        dropped = set(points.index) - set(good.index)
        for row in sorted(dropped):
            if not any(p.row == row and p.severity == "feil" for p in problems):
                problems.append(
                    Problem(file, _rownum(row), None, "Mangler koordinater; raden er hoppet over.")
                )
        return LoadResult(good, problems, "points", system, n_rows)
    bydel_col = _find_column(raw.columns, _BYDEL_COLS)
    if bydel_col is not None:
        frame, agg_problems = _aggregate_by_bydel(raw, bydel_col, file)
        return LoadResult(frame, problems + agg_problems, "aggregate", "ingen", n_rows)
    if require_points:
        raise InputError(problems + coord_problems)
    return LoadResult(raw, problems + coord_problems, "table", "ingen", n_rows)


def _vector_crs(gdf: gpd.GeoDataFrame, file: str, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Give a vector file a CRS (guessed from the values when it has none) and project it.

    Returns the frame in EPSG:25832. Raises :class:`InputError` when the file has no CRS and the
    values fit neither WGS84 nor UTM 32/33 around Oslo.
    """
    if gdf.crs is None:
        valid = gdf.geometry[~_nonfinite_or_empty(gdf.geometry)]
        system = (
            _classify_xy(valid.centroid.x.to_numpy(), valid.centroid.y.to_numpy())
            if len(valid)
            else None
        )
        crs = {"lonlat": settings.DISPLAY_CRS, "25833": "EPSG:25833", "25832": "EPSG:25832"}.get(
            system or ""
        )
        if crs is None:
            raise InputError(
                [
                    *problems,
                    Problem(
                        file,
                        None,
                        "geometry",
                        "Filen har ikke koordinatsystem, og verdiene passer ikke Oslo i WGS84 eller UTM 32/33.",
                    ),
                ]
            )
        gdf = gdf.set_crs(crs)
        problems.append(
            Problem(
                file,
                None,
                "geometry",
                f"Filen mangler koordinatsystem; tolket som {crs} ut fra verdiene.",
                "advarsel",
            )
        )
    elif gdf.crs.to_epsg() == 4979:
        gdf = gdf.set_crs(settings.DISPLAY_CRS, allow_override=True)
    return gdf.to_crs(settings.ANALYSIS_CRS)


def _nonfinite_or_empty(geoms: gpd.GeoSeries) -> np.ndarray:
    """True where a geometry is missing, empty or has a NaN/infinite coordinate."""
    values = geoms.to_numpy()
    bad = shapely.is_missing(values) | shapely.is_empty(values)
    coords, index = shapely.get_coordinates(values, return_index=True)
    if len(coords):
        rows = index[~np.isfinite(coords).all(axis=1)]
        bad[rows] = True
    return np.asarray(bad, dtype=bool)


def _drop_bad_geometries(
    gdf: gpd.GeoDataFrame, file: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """Report and drop missing/empty geometries and geometries with NaN/infinite coordinates."""
    geoms = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad = _nonfinite_or_empty(gdf.geometry)
    for pos, row in enumerate(gdf.index):
        if empty[pos]:
            problems.append(
                Problem(file, _rownum(row), "geometry", "Tom geometri; objektet er hoppet over.")
            )
        elif bad[pos]:
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "geometry",
                    "Geometrien har ugyldige koordinater (NaN/uendelig); objektet er hoppet over.",
                )
            )
    return gdf[~bad].copy()


def vector_to_points(gdf: gpd.GeoDataFrame, file: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Turn the features of a vector file into one point each, for services and candidates.

    Points are kept; a polygon becomes a point inside it (with a warning); a multipoint with one
    point becomes that point. Lines, several points in one feature, empty geometries, NaN/infinite
    coordinates and points outside Oslo lose their geometry with an error (the caller decides
    whether to keep the row). The rows with a rejected location are listed in
    ``frame.attrs["rejected_rows"]``.

    Returns
    -------
    (GeoDataFrame in EPSG:25832, problems)

    """
    problems: list[Problem] = []
    gdf = _vector_crs(gdf, file, problems)
    out: list[object] = []
    rejected: list[int] = []
    bad = _nonfinite_or_empty(gdf.geometry)
    for pos, (row, geom) in enumerate(gdf.geometry.items()):
        if geom is None or geom.is_empty:
            out.append(None)
            continue
        kind = geom.geom_type
        message = None
        if bad[pos]:
            message = "Geometrien har ugyldige koordinater (NaN/uendelig); raden er hoppet over."
        elif kind == "Point":
            out.append(geom)
            continue
        elif kind == "MultiPoint" and len(geom.geoms) == 1:
            out.append(geom.geoms[0])
            continue
        elif kind in {"Polygon", "MultiPolygon"}:
            shape = geom if geom.is_valid else shapely.make_valid(geom)
            out.append(shape.representative_point())
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "geometry",
                    "Flaten er gjort om til et punkt inne i flaten; sjekk plasseringen.",
                    "advarsel",
                )
            )
            continue
        else:
            message = (
                f"Geometrien er {kind}, ikke et punkt; raden er hoppet over. "
                "Bruk punkter (eller flater) for steder."
            )
        out.append(None)
        rejected.append(_rownum(row))
        problems.append(Problem(file, _rownum(row), "geometry", message))
    points = gpd.GeoDataFrame(
        gdf.drop(columns=[gdf.geometry.name]),
        geometry=gpd.GeoSeries(out, index=gdf.index, crs=settings.ANALYSIS_CRS),
        crs=settings.ANALYSIS_CRS,
    )
    points = _flag_outside_oslo(points, file, problems, "geometry")
    points.attrs["rejected_rows"] = sorted(set(rejected) | set(points.attrs["outside_rows"]))
    return points, problems


_INVALID_REASONS = {
    "ring self-intersection": "en ring krysser seg selv",
    "self-intersection": "flaten krysser seg selv",
    "too few points": "for få punkter",
    "hole lies outside shell": "et hull ligger utenfor ytterkanten",
    "nested holes": "hull inni hull",
    "interior is disconnected": "flaten er delt i to av hull",
    "nested shells": "flater inni hverandre",
    "duplicate rings": "doble ringer",
    "invalid coordinate": "ugyldig koordinat",
    "ring is not closed": "ringen er ikke lukket",
}


def _invalid_reason(reason: str) -> str:
    """GEOS' reason for an invalid geometry in bokmål, with the place rounded to metres."""
    match = re.match(r"\s*([^\[]+?)\s*\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)", reason or "")
    text = (match.group(1) if match else (reason or "")).strip()
    label = _INVALID_REASONS.get(text.lower(), _short(text, 60))
    if match:
        try:
            x, y = float(match.group(2)), float(match.group(3))
            return f"{label} ved øst {x:.0f}, nord {y:.0f}"
        except ValueError:
            pass
    return label


def _finish_vector(
    gdf: gpd.GeoDataFrame, file: str, problems: list[Problem], require_points: bool
) -> LoadResult:
    n_rows = len(gdf)
    gdf = _vector_crs(gdf, file, problems)
    gdf = _drop_bad_geometries(gdf, file, problems)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        for row in gdf.index[invalid.to_numpy()]:
            reason = _invalid_reason(shapely.is_valid_reason(gdf.geometry[row]))
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "geometry",
                    f"Ugyldig geometri ({reason}); reparert med make_valid.",
                    "advarsel",
                )
            )
        gdf.loc[invalid.to_numpy(), "geometry"] = shapely.make_valid(
            gdf.geometry[invalid].to_numpy()
        )
    types = set(gdf.geom_type.str.replace("Multi", ""))
    if not types:
        raise InputError(
            [*problems, Problem(file, None, "geometry", "Filen har ingen gyldige geometrier.")]
        )
    if types == {"Point"}:
        gdf = _flag_outside_oslo(gdf, file, problems, "geometry")
        gdf = gdf[~gdf.geometry.isna()]
        if (gdf.geom_type == "MultiPoint").any():
            gdf = gdf.explode(index_parts=False)
        return LoadResult(gdf, problems, "points", "geometri", n_rows)
    if types <= {"Polygon"}:
        return LoadResult(gdf, problems, "polygons", "geometri", n_rows)
    if require_points:
        raise InputError(
            [
                *problems,
                Problem(
                    file,
                    None,
                    "geometry",
                    f"Filen blander geometrityper ({', '.join(sorted(types))}); forventet punkter.",
                ),
            ]
        )
    problems.append(
        Problem(
            file,
            None,
            "geometry",
            f"Filen blander geometrityper ({', '.join(sorted(types))}); punkter brukes, resten hoppes over.",
            "advarsel",
        )
    )
    keep = gdf.geom_type.isin(["Point", "MultiPoint"])
    gdf = gdf[keep.to_numpy()]
    gdf = _flag_outside_oslo(gdf, file, problems, "geometry")
    return LoadResult(gdf[~gdf.geometry.isna()], problems, "points", "geometri", n_rows)


def _aggregate_by_bydel(
    raw: pd.DataFrame, bydel_col: str, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse a table of values per bydel: normalise bydel names, parse numbers (decimal comma)."""
    problems: list[Problem] = []
    codes = []
    for row, value in raw[bydel_col].items():
        code = normalise_bydel(value)
        if code is None:
            hint = suggest_bydel(value)
            extra = f" Mente du {' eller '.join(hint)}?" if hint else ""
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    bydel_col,
                    f"Ukjent bydel «{_short(value)}»; raden er hoppet over.{extra}",
                )
            )
        codes.append(code)
    out = pd.DataFrame({"bydel_code": codes}, index=raw.index)
    for column in raw.columns:
        if column == bydel_col:
            continue
        parsed = []
        bad = 0
        for raw_value in raw[column]:
            try:
                parsed.append(parse_number(raw_value))
            except ValueError:
                parsed.append(math.nan)
                bad += 1
        non_empty = (raw[column].astype(str).str.strip() != "").sum()
        if non_empty and bad <= non_empty / 2:
            out[column] = parsed
            for row, raw_value, value in zip(raw.index, raw[column], parsed, strict=True):
                if math.isnan(value) and str(raw_value).strip():
                    problems.append(
                        Problem(
                            file,
                            _rownum(row),
                            column,
                            f"«{_short(raw_value)}» er ikke et tall; cellen er tom i resultatet.",
                        )
                    )
                elif value < 0:
                    problems.append(
                        Problem(
                            file,
                            _rownum(row),
                            column,
                            "Negativt antall; sjekk verdien.",
                            "advarsel",
                        )
                    )
        else:
            out[column] = raw[column]
    out = out[out["bydel_code"].notna()]
    duplicated = out["bydel_code"].duplicated(keep=False)
    if duplicated.any():
        rows = ", ".join(str(r) for r in out.index[duplicated.to_numpy()])
        problems.append(
            Problem(
                file,
                None,
                bydel_col,
                f"Samme bydel står på flere rader ({rows}); verdiene er summert.",
                "advarsel",
            )
        )
        numeric = [
            c for c in out.columns if c != "bydel_code" and pd.api.types.is_numeric_dtype(out[c])
        ]
        out = out.groupby("bydel_code", as_index=False)[numeric].sum(min_count=1)
    return out, problems


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of a loaded user-data frame that hold numbers (candidates for weights)."""
    return [
        str(c)
        for c in frame.columns
        if c not in ("geometry", "bydel_code") and pd.api.types.is_numeric_dtype(frame[c])
    ]
