"""The one zip guard: an archive is judged from its table of contents before anything is read."""

from __future__ import annotations

import io as _stdio
import re
import unicodedata
import zipfile
from pathlib import Path

from geo.errors import InputError, Problem
from geo.labels import excerpt, format_mb
from geo.settings import max_upload_bytes

__all__ = [
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "MIN_RATIO_BYTES",
    "UNPACKED_FACTOR",
    "check_zip",
    "flat_zip",
    "max_unpacked_bytes",
    "open_zip",
]


MAX_ZIP_MEMBERS = 200
"""An archive with more members than this is refused (a dataset has a handful of files)."""


def flat_zip(archive: zipfile.ZipFile, member: str) -> bytes:
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


MAX_ZIP_RATIO = 100.0
"""A zip member that unpacks to more than this many times its packed size is refused …"""


MIN_RATIO_BYTES = 1_000_000
"""… when it unpacks to more than this (small, very regular files compress well legitimately)."""


UNPACKED_FACTOR = 10
"""An archive may unpack to at most this many times the upload cap (500 MB by default)."""


def max_unpacked_bytes() -> int:
    """Largest total size a zip archive (or .xlsx) may unpack to: 10 × the upload cap."""
    return UNPACKED_FACTOR * max_upload_bytes()


_NESTED_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".kmz", ".jar")


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


def check_zip(file: str, data: bytes, workbook: bool = False) -> list[Problem]:
    """Inspect a zip archive's table of contents; nothing is unpacked.

    Refused: more than :data:`MAX_ZIP_MEMBERS` members (read from the end record before the rest
    is parsed), absolute or ``..`` paths, symbolic links, encrypted members, archives inside the
    archive, members that unpack to more than :data:`MAX_ZIP_RATIO` times their packed size, and a
    total beyond :func:`max_unpacked_bytes`. Each kind of problem is reported once.

    Parameters
    ----------
    file
        File name for messages.
    data
        The archive's bytes.
    workbook
        True for an ``.xlsx`` (a zip archive too): the messages then speak of a spreadsheet.

    Returns
    -------
    list of Problem
        Empty when the archive may be read.

    """
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
    refusals: dict[str, str] = {}  # each kind of problem once, in the order met
    total = 0
    for info in infos:
        for kind, message in _member_refusals(info, what):
            refusals.setdefault(kind, message)
        total += info.file_size
    limit = max_unpacked_bytes()
    if total > limit:
        refusals.setdefault(
            "total",
            f"{what} pakker ut til {format_mb(total)} MB, mer enn grensen på "
            f"{format_mb(limit)} MB, og avvises.",
        )
    return [Problem(file, None, None, message) for message in refusals.values()]


def _member_refusals(info: zipfile.ZipInfo, what: str) -> list[tuple[str, str]]:
    """Why one member makes the archive unsafe: ``(kind, message)`` pairs, none when fine."""
    member = excerpt(info.filename, 60)
    out = []
    if _unsafe_member_path(info.filename):
        out.append(
            (
                "path",
                f"{what} har en ulovlig filsti («{member}»: absolutt sti eller «..») og avvises.",
            )
        )
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        out.append(("link", f"{what} inneholder en symbolsk lenke («{member}») og avvises."))
    if info.flag_bits & 0x1:
        out.append(
            ("encrypted", f"{what} er passordbeskyttet («{member}»); pakk det ut uten passord.")
        )
    if not info.is_dir() and info.filename.lower().endswith(_NESTED_SUFFIXES):
        out.append(
            (
                "nested",
                f"{what} inneholder et nytt arkiv («{member}»). Arkiv i arkiv støttes ikke: "
                "pakk ut og last opp filene direkte.",
            )
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > MAX_ZIP_RATIO and info.file_size > MIN_RATIO_BYTES:
        times = f"{ratio:,.0f}".replace(",", " ")
        out.append(
            (
                "ratio",
                f"{what} er mistenkelig sterkt komprimert («{member}» pakker ut til {times} "
                f"ganger størrelsen; maks {MAX_ZIP_RATIO:.0f}) og avvises.",
            )
        )
    return out


def _too_many(file: str, what: str, n: int) -> Problem:
    return Problem(
        file,
        None,
        None,
        f"{what} har {n} filer (maks {MAX_ZIP_MEMBERS}). Ta bare med filene som hører til datasettet.",
    )


def open_zip(data: bytes, file: str) -> zipfile.ZipFile:
    """Open a zip archive after :func:`check_zip` has found nothing wrong with it.

    Raises
    ------
    InputError
        With every problem :func:`check_zip` found.

    """
    problems = check_zip(file, data)
    if problems:
        raise InputError(problems)
    return zipfile.ZipFile(_stdio.BytesIO(data))
