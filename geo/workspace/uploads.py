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

import logging
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Literal

import pandas as pd

from geo.data.services import empty_registry, load_candidates, read_services
from geo.errors import InputError, Problem
from geo.inputs.archive import check_zip
from geo.inputs.problems import LoadResult
from geo.inputs.read import read_any
from geo.labels import format_mb, safe_text, strip_controls
from geo.settings import max_upload_bytes

__all__ = [
    "ALLOWED_SUFFIXES",
    "GENERIC_ERROR",
    "KINDS",
    "MAX_NAME_CHARS",
    "UploadKind",
    "check_upload",
    "clean_filename",
    "read_upload",
    "upload_limit_text",
]


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


GENERIC_ERROR = (
    "Filen kunne ikke leses på grunn av en uventet feil. Sjekk at den er en gyldig CSV-, XLSX-, "
    "GeoJSON- eller GeoPackage-fil eller en zippet Shapefile, og prøv igjen. Vedvarer feilen, "
    "send filen til den som drifter verktøyet."
)
"""What the user sees when reading failed in a way nobody foresaw (no traceback, no file content)."""


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


def clean_filename(name: object) -> str:
    """Return the file name as it may appear in messages: no folders, no control characters.

    Folders (``/`` or a backslash) are removed, control and direction characters dropped, the name
    normalised to NFC and shortened to :data:`MAX_NAME_CHARS` characters with the suffix kept.
    An empty result becomes ``"opplastet fil"``. The result is *not* HTML-escaped (that is done
    by :func:`safe_text` where it is shown).
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = strip_controls(text).replace("\\", "/")
    text = text.rstrip("/ ").rsplit("/", 1)[-1].strip()
    if text in {"", ".", ".."}:
        return "opplastet fil"
    if len(text) > MAX_NAME_CHARS:
        suffix = PurePosixPath(text).suffix
        if len(suffix) > 10:
            suffix = ""
        text = text[: MAX_NAME_CHARS - len(suffix) - 1] + "…" + suffix
    return text


def _safe_problem(problem: Problem) -> Problem:
    return Problem(
        safe_text(problem.file),
        problem.row,
        safe_text(problem.column) if problem.column else problem.column,
        safe_text(problem.message),
        problem.severity,
    )


def upload_limit_text() -> str:
    """The cap as the UI should state it, for example ``"Største filstørrelse: 50 MB."``."""
    return f"Største filstørrelse: {format_mb(max_upload_bytes())} MB."


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
                f"Filen er for stor ({format_mb(len(data))} MB). Største tillatte størrelse er "
                f"{format_mb(cap)} MB. Del filen opp eller fjern kolonner du ikke trenger.",
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
        return check_zip(file, data, workbook=suffix != ".zip")
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
