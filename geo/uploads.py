"""Safe handling of files uploaded through the browser.

The app hands over what the browser sent, a file name and its bytes, and gets back a
:class:`geo.io.LoadResult`. On the way:

* the file name is cleaned (directories, control and direction characters removed, length
  limited) before it appears in any message;
* :func:`check_upload` refuses, *before anything is parsed or unpacked*, files that are too big
  (the cap is stated in the message), of a type that is not on the allowlist, of another type than
  their name says (a pickle, a program, an old .xls renamed .csv), and zip archives (also .xlsx,
  which is a zip) with unsafe paths ("zip slip"), absolute paths, symbolic links, encryption,
  archives inside the archive, too many members, an absurd compression ratio or too much
  unpacked data;
* :func:`read_upload` then reads the file with the readers in :mod:`geo.io` and
  :mod:`geo.services`. It never raises for any file content: a file that cannot be used becomes
  one or more :class:`~geo.io.Problem` rows, and an unexpected error becomes one problem with a
  generic message (the details go to the server log, never to the page). Good rows are kept.

Nothing is written to disk: archives are inspected and read in memory (GDAL reads from its
in-memory file system). Nothing read is unpickled or evaluated.

Every text in the returned problems (file name, column and message) has gone through
:func:`safe_text`, so the problems can be shown in a table or in markdown without rendering
anything from the file. The rows in ``LoadResult.frame`` are the file's values as they are:
escape them where they are rendered as HTML (map pop-ups).
"""

from __future__ import annotations

import html
import io as _stdio
import logging
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Literal

import pandas as pd

from geo import settings
from geo.io import (
    MAX_ZIP_MEMBERS,
    InputError,
    LoadResult,
    Problem,
    read_any,
)
from geo.services import empty_registry, load_candidates, read_services

logger = logging.getLogger(__name__)

UploadKind = Literal["services", "candidates", "userdata"]
KINDS: tuple[str, ...] = ("services", "candidates", "userdata")

ALLOWED_SUFFIXES: tuple[str, ...] = (
    ".csv",
    ".txt",
    ".tsv",
    ".xlsx",
    ".xlsm",
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
)
"""File types accepted from the browser (also usable as ``st.file_uploader(type=...)``)."""

MAX_NAME_CHARS = 120
"""A longer file name is shortened (the suffix is kept) before it appears in messages."""

MAX_ZIP_RATIO = 100.0
"""A zip member that unpacks to more than this many times its packed size is refused …"""
MIN_RATIO_BYTES = 1_000_000
"""… when it unpacks to more than this (small, very regular files compress well legitimately)."""

UNPACKED_FACTOR = 10
"""An archive may unpack to at most this many times the upload cap (500 MB by default)."""

GENERIC_ERROR = (
    "Filen kunne ikke leses på grunn av en uventet feil. Sjekk at den er en gyldig CSV-, XLSX-, "
    "GeoJSON- eller GeoPackage-fil eller en zippet Shapefile, og prøv igjen. Vedvarer feilen, "
    "send filen til den som drifter verktøyet."
)
"""What the user sees when reading failed in a way nobody foresaw (no traceback, no file content)."""

_NESTED_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".kmz", ".jar")
_CODE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".npy", ".npz", ".py", ".pyc", ".exe", ".dll")

_MAGIC: list[tuple[Callable[[bytes], bool], str]] = [
    (lambda b: len(b) > 1 and b[0] == 0x80 and 2 <= b[1] <= 5, "en Python-pickle-fil"),
    (lambda b: b.startswith(b"MZ"), "et Windows-program"),
    (lambda b: b.startswith(b"\x7fELF"), "et program (ELF)"),
    (lambda b: b.startswith(b"%PDF"), "en PDF-fil"),
    (lambda b: b.startswith(b"\xd0\xcf\x11\xe0"), "et gammelt Office-dokument (.xls/.doc)"),
    (lambda b: b.startswith(b"\x1f\x8b"), "en gzip-komprimert fil"),
    (lambda b: b.startswith(b"7z\xbc\xaf\x27\x1c"), "et 7z-arkiv"),
    (lambda b: b.startswith(b"Rar!"), "et RAR-arkiv"),
    (lambda b: b.startswith(b"\x89PNG"), "et PNG-bilde"),
    (lambda b: b.startswith(b"\xff\xd8\xff"), "et JPEG-bilde"),
]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UNSAFE_CHARS = re.compile(r"[\\`\[\]$]")


# --------------------------------------------------------------------------------------------
# Text that reaches the page
# --------------------------------------------------------------------------------------------


def _strip_controls(text: str) -> str:
    """Drop control and format characters (incl. NUL and right-to-left overrides)."""
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    )


def safe_text(text: object, limit: int | None = None) -> str:
    """Make text safe to show whether it is rendered as plain text, HTML or markdown.

    Control and direction-override characters are removed, HTML is escaped (``<`` → ``&lt;``,
    ``&`` → ``&amp;``, quotes) and the few markdown characters that can build links, images,
    code or formulas (``[``, ``]``, backtick, ``$``, backslash) are backslash-escaped.

    Parameters
    ----------
    text
        Anything; converted with ``str``.
    limit
        Shorten to at most this many characters (before escaping), ending with ``…``.

    Returns
    -------
    str
        The escaped text. Rendered as markdown or HTML it reads like the original.

    Examples
    --------
    >>> safe_text("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'

    """
    plain = _strip_controls(str(text))
    if limit is not None and len(plain) > limit:
        plain = plain[: max(limit - 1, 0)] + "…"
    plain = _UNSAFE_CHARS.sub(lambda m: "\\" + m.group(0), plain)
    return html.escape(plain, quote=True)


def clean_filename(name: object) -> str:
    """Return the file name as it may appear in messages: no folders, no control characters.

    Folders (``/`` or a backslash) are removed, control and direction characters dropped, the name
    normalised to NFC and shortened to :data:`MAX_NAME_CHARS` characters with the suffix kept.
    An empty result becomes ``"opplastet fil"``. The result is *not* HTML-escaped (that is done
    by :func:`safe_text` where it is shown).
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = _strip_controls(text).replace("\\", "/")
    text = text.rstrip("/ ").rsplit("/", 1)[-1].strip()
    if text in {"", ".", ".."}:
        return "opplastet fil"
    if len(text) > MAX_NAME_CHARS:
        suffix = PurePosixPath(text).suffix
        if len(suffix) > 10:
            suffix = ""
        text = text[: MAX_NAME_CHARS - len(suffix) - 1] + "…" + suffix
    return text


def _excerpt(text: object, limit: int) -> str:
    """Raw text shortened for a message (escaping happens once, in :func:`_safe_problem`)."""
    plain = _strip_controls(str(text))
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def _safe_problem(problem: Problem) -> Problem:
    return Problem(
        safe_text(problem.file),
        problem.row,
        safe_text(problem.column) if problem.column else problem.column,
        safe_text(problem.message),
        problem.severity,
    )


# --------------------------------------------------------------------------------------------
# Checks before reading
# --------------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    """Upload cap in bytes: :func:`geo.settings.max_upload_mb` (env ``OSLO_COVERAGE_MAX_UPLOAD_MB``)."""
    mb = settings.max_upload_mb()
    if not math.isfinite(mb) or mb <= 0:
        mb = float(settings.DEFAULT_MAX_UPLOAD_MB)
    return int(mb * 1024 * 1024)


def _mb(n_bytes: float) -> str:
    value = n_bytes / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return text.replace(".", ",")


def upload_limit_text() -> str:
    """The cap as the UI should state it, for example ``"Største filstørrelse: 50 MB."``."""
    return f"Største filstørrelse: {_mb(max_upload_bytes())} MB."


def max_unpacked_bytes() -> int:
    """Largest total size a zip archive (or .xlsx) may unpack to: 10 × the upload cap."""
    return UNPACKED_FACTOR * max_upload_bytes()


def check_upload(name: str, data: bytes) -> list[Problem]:
    """Check an upload before it is read; return the reasons to refuse it (empty when fine).

    Only the size, the name and the first bytes are looked at, plus, for zip archives and
    workbooks, the archive's table of contents (nothing is unpacked).

    Parameters
    ----------
    name
        The file name the browser sent.
    data
        The file's bytes.

    Returns
    -------
    list of Problem
        Errors (severity ``"feil"``), texts already passed through :func:`safe_text`.

    """
    file = clean_filename(name)
    try:
        problems = _check(file, bytes(data))
    except Exception:  # a check must never be the thing that crashes
        logger.exception("check_upload failed unexpectedly for an upload (%d bytes)", len(data))
        problems = [Problem(file, None, None, GENERIC_ERROR)]
    return [_safe_problem(p) for p in problems]


def _check(file: str, data: bytes) -> list[Problem]:
    cap = max_upload_bytes()
    if len(data) > cap:
        return [
            Problem(
                file,
                None,
                None,
                f"Filen er for stor ({_mb(len(data))} MB). Største tillatte størrelse er "
                f"{_mb(cap)} MB. Del filen opp eller fjern kolonner du ikke trenger.",
            )
        ]
    suffix = PurePosixPath(file).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return [Problem(file, None, None, _suffix_message(suffix))]
    if not data:
        return [Problem(file, None, None, "Filen er tom.")]
    for test, what in _MAGIC:
        if test(data[:16]):
            extra = (
                " Slike filer kan inneholde kjørbar kode og åpnes aldri."
                if "pickle" in what or "program" in what
                else ""
            )
            return [
                Problem(
                    file,
                    None,
                    None,
                    f"Filen heter {suffix}, men er {what}.{extra} Last opp CSV, XLSX, GeoJSON, "
                    "GeoPackage eller zippet Shapefile.",
                )
            ]
    if suffix == ".gpkg" and not data.startswith(_SQLITE_MAGIC):
        return [Problem(file, None, None, "Filen er ikke en GeoPackage (ikke en SQLite-database).")]
    if suffix in {".xlsx", ".xlsm", ".zip"}:
        if not data.startswith(_ZIP_MAGIC):
            what = "et Excel-regneark (.xlsx)" if suffix != ".zip" else "et zip-arkiv"
            return [Problem(file, None, None, f"Filen er ikke {what}; innholdet passer ikke.")]
        return _check_zip(file, data, workbook=suffix != ".zip")
    return []


def _suffix_message(suffix: str) -> str:
    allowed = ", ".join(ALLOWED_SUFFIXES)
    if suffix == ".xls":
        return "Det gamle .xls-formatet støttes ikke. Lagre som .xlsx eller CSV."
    if suffix == ".shp":
        return "En Shapefile består av flere filer: last opp en zip med .shp, .shx, .dbf og .prj."
    if suffix in _CODE_SUFFIXES:
        return (
            f"Filtypen «{suffix}» kan inneholde kjørbar kode og åpnes aldri. "
            f"Tillatte filtyper: {allowed}."
        )
    return f"Filtypen «{suffix or '(ingen)'}» støttes ikke. Tillatte filtyper: {allowed}."


def _zip_entry_count(data: bytes) -> int | None:
    """Number of members as the archive's end record states it (read before parsing the rest)."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return None
    return int.from_bytes(data[pos + 10 : pos + 12], "little")


def _unsafe_member_path(name: str) -> bool:
    path = name.replace("\\", "/")
    return (
        path.startswith("/")
        or re.match(r"^[A-Za-z]:", path) is not None
        or ".." in path.split("/")
        or any(unicodedata.category(ch) == "Cc" for ch in path)
    )


def _check_zip(file: str, data: bytes, workbook: bool) -> list[Problem]:
    """Inspect a zip archive's table of contents; nothing is unpacked."""
    what = "Regnearket (en .xlsx er et zip-arkiv)" if workbook else "Zip-arkivet"
    declared = _zip_entry_count(data)
    if declared is not None and declared > MAX_ZIP_MEMBERS:
        return [_too_many(file, what, declared)]
    try:
        archive = zipfile.ZipFile(_stdio.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        kind = "et gyldig Excel-regneark (.xlsx)" if workbook else "et gyldig zip-arkiv"
        return [Problem(file, None, None, f"Filen er ikke {kind}; den kan være skadet.")]
    if len(infos) > MAX_ZIP_MEMBERS:
        return [_too_many(file, what, len(infos))]
    problems: list[Problem] = []
    seen: set[str] = set()

    def refuse(kind: str, message: str) -> None:
        if kind not in seen:
            seen.add(kind)
            problems.append(Problem(file, None, None, message))

    total = 0
    for info in infos:
        member = _excerpt(info.filename, 60)
        if _unsafe_member_path(info.filename):
            refuse(
                "path",
                f"{what} har en ulovlig filsti («{member}»: absolutt sti eller «..») og avvises.",
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            refuse("link", f"{what} inneholder en symbolsk lenke («{member}») og avvises.")
        if info.flag_bits & 0x1:
            refuse(
                "encrypted", f"{what} er passordbeskyttet («{member}»); pakk det ut uten passord."
            )
        if not info.is_dir() and info.filename.lower().endswith(_NESTED_SUFFIXES):
            refuse(
                "nested",
                f"{what} inneholder et nytt arkiv («{member}»). Arkiv i arkiv støttes ikke: "
                "pakk ut og last opp filene direkte.",
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_ZIP_RATIO and info.file_size > MIN_RATIO_BYTES:
            times = f"{ratio:,.0f}".replace(",", " ")
            refuse(
                "ratio",
                f"{what} er mistenkelig sterkt komprimert («{member}» pakker ut til {times} "
                f"ganger størrelsen; maks {MAX_ZIP_RATIO:.0f}) og avvises.",
            )
    limit = max_unpacked_bytes()
    if total > limit:
        refuse(
            "total",
            f"{what} pakker ut til {_mb(total)} MB, mer enn grensen på {_mb(limit)} MB, og avvises.",
        )
    return problems


def _too_many(file: str, what: str, n: int) -> Problem:
    return Problem(
        file,
        None,
        None,
        f"{what} har {n} filer (maks {MAX_ZIP_MEMBERS}). Ta bare med filene som hører til datasettet.",
    )


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_services(data: bytes, file: str) -> LoadResult:
    return read_services(data, name=file, require_coordinates=False)


def _read_candidates(data: bytes, file: str) -> LoadResult:
    return load_candidates(data, name=file)


def _read_userdata(data: bytes, file: str) -> LoadResult:
    return read_any(data, name=file)


_READERS: dict[str, Callable[[bytes, str], LoadResult]] = {
    "services": _read_services,
    "candidates": _read_candidates,
    "userdata": _read_userdata,
}


def _empty_result(kind: str, problems: list[Problem]) -> LoadResult:
    frame: pd.DataFrame = empty_registry() if kind in {"services", "candidates"} else pd.DataFrame()
    return LoadResult(frame, problems, "points" if kind != "userdata" else "table", "ingen", 0)


def read_upload(name: str, data: bytes, kind: str) -> LoadResult:
    """Check and read an uploaded file; never raises for anything in the file.

    Parameters
    ----------
    name
        The file name the browser sent (cleaned with :func:`clean_filename` before use).
    data
        The file's bytes.
    kind
        ``"services"`` (service registry schema, coordinates optional), ``"candidates"``
        (same schema, coordinates required) or ``"userdata"`` (any table, points, polygons or
        values per bydel, see :func:`geo.io.read_any`).

    Returns
    -------
    geo.io.LoadResult
        The good rows and every problem. When the file cannot be used at all the frame is empty
        (the empty service registry for ``"services"``/``"candidates"``) and the problems say why.
        All problem texts have gone through :func:`safe_text`.

    Raises
    ------
    ValueError
        Only for an unknown ``kind`` (a programming error, never caused by the file).

    """
    if kind not in _READERS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    file = clean_filename(name)
    try:
        raw = bytes(data)
        refused = _check(file, raw)
        result = (
            _empty_result(kind, refused)
            if any(p.severity == "feil" for p in refused)
            else _READERS[kind](raw, file)
        )
    except InputError as exc:
        result = _empty_result(kind, exc.problems)
    except Exception:  # deliberately broad: a planner's file must never crash the app
        logger.exception("Unexpected error reading an upload as %s", kind)
        result = _empty_result(kind, [Problem(file, None, None, GENERIC_ERROR)])
    result.problems = [_safe_problem(p) for p in result.problems]
    return result
