"""Reading one OSM file with pyosmium: its format from the content, its highway ways and nodes."""

from __future__ import annotations

import bz2
import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import osmium
import osmium.filter
import osmium.io
import osmium.osm
from osmium.index import LocationTable

from geo.network.osm_report import OsmReadError
from geo.network.walkfilter import reason_code

__all__ = [
    "MAX_X",
    "MAX_Y",
    "SCALE",
    "UNDEFINED",
    "FileWays",
    "read_file",
]

UNDEFINED = 2_147_483_647
"""libosmium's coordinate of an undefined location (node not in the file)."""


MAX_X = 1_800_000_000


MAX_Y = 900_000_000


SCALE = 1e7


_SNIFF_BYTES = 4096


_NUMBER = re.compile(rb"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,2})?\s*")


_COORD_ATTR = re.compile(rb"""\b(lat|lon)(\s*=\s*)(["'])(.*?)\3""")


_FORMATS_HINT = "PBF (.osm.pbf) eller OSM XML (.osm, .osm.xml, .osm.gz, .osm.bz2)"


def _sniff_xml(head: bytes, name: str) -> None:
    """Raise :class:`OsmReadError` unless ``head`` looks like the start of an OSM XML file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<osmChange" in text:
        raise OsmReadError(
            f"Filen «{name}» er en endringsfil (osmChange), ikke et OSM-uttrekk. "
            f"Bruk {_FORMATS_HINT}."
        )
    if b"<osm" in text:
        return
    kind = "en XML-fil, men ikke OSM" if text.startswith(b"<") else "ikke en OpenStreetMap-fil"
    raise OsmReadError(f"Filen «{name}» er {kind}. Forventet {_FORMATS_HINT}.")


def _open_binary(path: Path, fmt: str) -> io.BufferedIOBase:
    """Open a file for reading, decompressing ``osm.gz`` and ``osm.bz2``."""
    if fmt == "osm.gz":
        return gzip.GzipFile(path, "rb")
    if fmt == "osm.bz2":
        return bz2.BZ2File(path, "rb")
    return path.open("rb")


def _decompressed_head(path: Path, fmt: str, name: str) -> bytes:
    """Return the first bytes of a compressed file, or raise :class:`OsmReadError`."""
    try:
        with _open_binary(path, fmt) as stream:
            return stream.read(_SNIFF_BYTES)
    except (OSError, EOFError, ValueError) as exc:
        raise OsmReadError(
            f"Filen «{name}» er skadet eller avkuttet og kan ikke pakkes ut ({exc})."
        ) from exc


def _detect_format(path: Path) -> str:
    """Check that ``path`` is a readable OSM file and return its libosmium format string.

    The format is taken from the file's content, not its name: ``"pbf"``, ``"osm"``,
    ``"osm.gz"`` or ``"osm.bz2"``.
    """
    name = path.name
    if not path.exists():
        raise OsmReadError(f"Finner ikke filen «{name}» ({path}).")
    if path.is_dir():
        raise OsmReadError(f"«{name}» er en mappe, ikke en OSM-fil.")
    try:
        with path.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except OSError as exc:
        raise OsmReadError(f"Filen «{name}» kan ikke åpnes ({exc.strerror or exc}).") from exc
    if not head:
        raise OsmReadError(f"Filen «{name}» er tom.")
    if (
        len(head) >= 16
        and 0 < int.from_bytes(head[:4], "big") < 65536
        and b"OSMHeader" in head[4:20]
    ):
        return "pbf"
    if head.startswith(b"\x1f\x8b"):
        _sniff_xml(_decompressed_head(path, "osm.gz", name), name)
        return "osm.gz"
    if head.startswith(b"BZh"):
        _sniff_xml(_decompressed_head(path, "osm.bz2", name), name)
        return "osm.bz2"
    _sniff_xml(head, name)
    return "osm"


def _sanitized_xml(path: Path, fmt: str) -> osmium.io.FileBuffer:
    """Return an OSM XML file in memory with non-numeric ``lat``/``lon`` values made invalid.

    libosmium refuses a whole file over one ``lon="nan"``; this keeps such nodes as nodes with an
    invalid location (counted, their segments dropped) instead.
    """
    with _open_binary(path, fmt) as stream:
        data = stream.read()

    def fix(match: re.Match[bytes]) -> bytes:
        if _NUMBER.fullmatch(match.group(4)):
            return match.group(0)
        return match.group(1) + match.group(2) + match.group(3) + b"200" + match.group(3)

    return osmium.io.FileBuffer(_COORD_ATTR.sub(fix, data), "osm")


@dataclass
class FileWays:
    """The ways of one file: one row per way, node refs concatenated."""

    name: str
    way_id: np.ndarray
    version: np.ndarray
    visible: np.ndarray
    reason: np.ndarray  # int8: 0 walkable, >0 filter rule, -1 no highway tag
    n_refs: np.ndarray
    n_located: np.ndarray
    refs: np.ndarray  # (n, 3) int64: node id, x, y (1e-7 degrees; UNDEFINED if not in file)
    located_ids: np.ndarray  # ascending ids of the nodes located in this file (highway ways)
    box: tuple[int, int, int, int] | None  # header bounding box (x0, y0, x1, y1), 1e-7 degrees
    locations: LocationTable  # every node of the file, for nodes its highway ways do not use
    newest: datetime | None = None


_Collected = tuple[
    list[tuple[int, int, bool, int, int]],
    list[tuple[int, int, int]],
    datetime | None,
    LocationTable,
]


def _collect(source: osmium.io.File | osmium.io.FileBuffer) -> _Collected:
    """Iterate over the ways of one source (nodes stay in C++) and collect rows and node refs.

    Returns the way rows (id, version, visible, reason code, number of refs), the node refs
    (id, x, y), the newest way timestamp and the file's node location table.
    """
    rows: list[tuple[int, int, bool, int, int]] = []
    refs: list[tuple[int, int, int]] = []
    newest = datetime.fromtimestamp(0, UTC)
    processor = (
        osmium.FileProcessor(source)
        .with_locations("flex_mem")
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    for way in cast("Iterable[osmium.osm.Way]", processor):
        stamp = way.timestamp
        if stamp > newest:
            newest = stamp
        code = reason_code(way.tags.get)
        if code < 0:
            rows.append((way.id, way.version, way.visible, code, 0))
            continue
        nodes = [(n.ref, n.x, n.y) for n in way.nodes]
        refs.extend(nodes)
        rows.append((way.id, way.version, way.visible, code, len(nodes)))
    locations = processor.node_location_storage
    assert locations is not None  # enabled by with_locations()
    return rows, refs, (newest if newest.timestamp() > 0 else None), locations


def _header_box(source: osmium.io.File | osmium.io.FileBuffer) -> tuple[int, int, int, int] | None:
    """Return the bounding box in the file header (PBF header, XML ``<bounds>``), if any."""
    try:
        box = osmium.FileProcessor(source).header.box()
    except RuntimeError:
        return None
    if not box.valid():
        return None
    low, high = box.bottom_left, box.top_right
    return low.x, low.y, high.x, high.y


def read_file(path: Path) -> FileWays:
    """Read the ways of one OSM file with node locations from the same file."""
    name = path.name
    fmt = _detect_format(path)
    source: osmium.io.File | osmium.io.FileBuffer = osmium.io.File(str(path), fmt)
    try:
        try:
            rows, refs, newest, locations = _collect(source)
        except osmium.InvalidLocationError:
            if fmt == "pbf":
                raise
            source = _sanitized_xml(path, fmt)
            rows, refs, newest, locations = _collect(source)
    except (RuntimeError, osmium.InvalidLocationError, OSError, EOFError) as exc:
        raise OsmReadError(
            f"Filen «{name}» kan ikke leses: den er skadet, avkuttet eller ikke gyldig OSM ({exc})."
        ) from exc
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    ref_arr = np.array(refs, dtype=np.int64).reshape(-1, 3)
    n_refs = table[:, 4]
    located = (ref_arr[:, 1] != UNDEFINED).astype(np.int64)
    starts = np.cumsum(n_refs) - n_refs
    n_located = (
        np.add.reduceat(located, starts[n_refs > 0]) if len(ref_arr) else np.zeros(0, np.int64)
    )
    located_per_way = np.zeros(len(table), dtype=np.int64)
    located_per_way[n_refs > 0] = n_located
    return FileWays(
        name=name,
        way_id=table[:, 0],
        version=table[:, 1],
        visible=table[:, 2].astype(bool),
        reason=table[:, 3].astype(np.int8),
        n_refs=n_refs,
        n_located=located_per_way,
        refs=ref_arr,
        located_ids=np.unique(ref_arr[located.astype(bool), 0]),
        box=_header_box(source),
        locations=locations,
        newest=newest,
    )
