"""Reading OSM extracts: a hand-made two-file fixture, osmnx's filter as oracle, the real extracts."""

from __future__ import annotations

import bz2
import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
import osmium.filter
import pytest

from geo import network as osm
from geo import settings

DATA = settings.data_dir() / "network"
EAST = DATA / "oslo-east-filtered.osm.pbf"
CENTER = DATA / "oslo-center.osm.pbf"
needs_data = pytest.mark.usefixtures("data_dir")  # the real extracts of ../shared/data


# ------------------------------------------------------------------------------------ fixture
def _node(node_id: int, version: int = 1, lat: str | None = None, lon: str | None = None) -> str:
    """A node on a small grid south of Oslo S, each at its own place unless lat/lon are given."""
    lat = lat or f"{59.9 + 0.001 * node_id:.4f}"
    lon = lon or f"{10.75 + 0.001 * (node_id % 2):.4f}"
    return f'  <node id="{node_id}" version="{version}" lat="{lat}" lon="{lon}"/>'


def _doc(nodes: list[str], ways: str) -> str:
    """Wrap node lines and way text in an OSM XML document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test_osm">\n'
        + "\n".join(nodes)
        + "\n"
        + ways
        + "</osm>\n"
    )


# File A (older, ways from 2020). Node 26 is at node 25's place, node 28 has lon=200, node 999
# is in neither file, node 11 moved in file B (version 2).
A_NODES = [
    *(_node(i) for i in range(1, 22) if i != 11),
    _node(11, version=1, lat="59.9110"),
    _node(24),
    _node(25),
    _node(26, lat=f"{59.9 + 0.001 * 25:.4f}", lon=f"{10.75 + 0.001 * 1:.4f}"),
    _node(27),
    _node(28, lon="200"),
    _node(29),
]
T_A = 'version="1" timestamp="2020-01-01T00:00:00Z"'
A_WAYS = f"""\
  <way id="100" {T_A}><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
  <way id="101" {T_A}><nd ref="4"/><nd ref="5"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="102" {T_A}><nd ref="7"/><nd ref="7"/><tag k="highway" v="footway"/></way>
  <way id="103" {T_A}><nd ref="8"/><nd ref="9"/><nd ref="999"/><tag k="highway" v="footway"/></way>
  <way id="104" {T_A}><nd ref="3"/><nd ref="10"/><nd ref="11"/><tag k="highway" v="residential"/></way>
  <way id="105" {T_A}><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="12"/><tag k="highway" v="footway"/></way>
  <way id="106" {T_A}><nd ref="1"/><nd ref="15"/><tag k="highway" v="path"/><tag k="foot" v="no"/></way>
  <way id="107" {T_A}><nd ref="2"/><nd ref="16"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="108" {T_A}><nd ref="16"/><nd ref="17"/><tag k="highway" v="motorway"/></way>
  <way id="109" {T_A}><nd ref="13"/><nd ref="18"/><nd ref="19"/><nd ref="13"/><tag k="building" v="yes"/></way>
  <way id="110" {T_A}><nd ref="20"/><nd ref="21"/><tag k="highway" v="footway"/></way>
  <way id="113" {T_A}><nd ref="25"/><nd ref="26"/><nd ref="27"/><tag k="highway" v="footway"/></way>
  <way id="114" {T_A}><nd ref="27"/><nd ref="28"/><nd ref="29"/><tag k="highway" v="footway"/></way>
  <way id="117" {T_A}><nd ref="13"/><nd ref="14"/><tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>
  <way id="119" {T_A}><nd ref="20"/><nd ref="22"/><tag k="highway" v="footway"/></way>
  <way id="120" {T_A}><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>
"""

# File B (newer, 2024): way 104 again (same version), way 110 in version 2, way 120 deleted,
# way 112 needs node 24 from file A, node 31 has lon="nan", way 116 repeats segment 1-2. Way 119
# is in both files in the same version, but only file B has both of its nodes: B's copy is used
# (else it would count as "completed with nodes from another file").
B_NODES = [
    *(_node(i) for i in (1, 2, 3, 10, 20, 21, 22, 23, 29)),
    _node(11, version=2, lat="59.9113"),
    _node(31, lon="nan"),
]
T_B = 'timestamp="2024-01-01T00:00:00Z"'
B_WAYS = f"""\
  <way id="104" version="1" {T_B}><nd ref="3"/><nd ref="10"/><nd ref="11"/><tag k="highway" v="residential"/></way>
  <way id="110" version="2" {T_B}><nd ref="20"/><nd ref="21"/><nd ref="22"/><tag k="highway" v="footway"/></way>
  <way id="112" version="1" {T_B}><nd ref="23"/><nd ref="24"/><tag k="highway" v="footway"/></way>
  <way id="115" version="1" {T_B}><nd ref="29"/><nd ref="31"/><tag k="highway" v="footway"/></way>
  <way id="116" version="1" {T_B}><nd ref="2"/><nd ref="1"/><tag k="highway" v="footway"/></way>
  <way id="118" version="1" {T_B}><nd ref="22"/><nd ref="23"/><tag k="highway" v="residential"/><tag k="sidewalk" v="separate"/></way>
  <way id="119" version="1" {T_B}><nd ref="20"/><nd ref="22"/><tag k="highway" v="footway"/></way>
  <way id="120" version="2" visible="false" {T_B}/>
"""

FILE_A = _doc(A_NODES, A_WAYS)
FILE_B = _doc(B_NODES, B_WAYS)

EXPECTED_EDGES = {
    (1, 2): 100,
    (2, 3): 100,
    (4, 5): 101,
    (5, 6): 101,
    (8, 9): 103,
    (3, 10): 104,
    (10, 11): 104,
    (12, 13): 105,
    (13, 14): 105,
    (12, 14): 105,
    (20, 21): 110,
    (21, 22): 110,
    (20, 22): 119,
    (23, 24): 112,
    (25, 27): 113,
}

EXPECTED_COUNTS = {
    "files": ("a.osm.xml", "b.osm"),
    "ways_read": 24,
    "ways_unique": 20,
    "duplicate_ways": 4,
    "duplicate_nodes": 8,
    "conflicting_nodes": 1,
    "deleted_ways": 1,
    "stale_ways": 0,
    "non_highway_ways": 1,
    "highway_ways": 18,
    "walkable_ways": 13,
    "excluded": {"area": 1, "access": 1, "highway": 1, "foot": 1, "service": 0, "sidewalk": 1},
    "closed_ways": 1,
    "clipped_ways": 1,
    "clipped_segments": 1,
    "completed_ways": 1,
    "missing_nodes": 1,
    "negative_missing_nodes": 0,
    "invalid_nodes": 2,
    "invalid_segments": 3,
    "degenerate_ways": 2,
    "self_loop_segments": 2,
    "self_loop_ways": 2,
    "zero_length_segments": 1,
    "merged_nodes": 1,
    "duplicate_segments": 1,
    "nodes": 20,
    "edges": 15,
    "components": 7,
    "largest_component": 5,
    "newest_timestamp": datetime(2024, 1, 1, tzinfo=UTC),
}


def _write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name``, compressed if the name ends in .gz or .bz2."""
    path = folder / name
    data = text.encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def _edges(streets: osm.OsmStreets) -> dict[tuple[int, int], int]:
    """Map each edge (OSM node ids) to its way id."""
    u, v = streets.node_id[streets.edge_u], streets.node_id[streets.edge_v]
    return {(int(a), int(b)): int(w) for a, b, w in zip(u, v, streets.edge_way, strict=True)}


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """The two fixture files, A (older) and B (newer)."""
    return _write(tmp_path, "a.osm.xml", FILE_A), _write(tmp_path, "b.osm", FILE_B)


def _lat_of(streets: osm.OsmStreets, node: int) -> float:
    """Latitude of an OSM node id."""
    return float(streets.lat[np.searchsorted(streets.node_id, node)])


# ------------------------------------------------------------------------------------ fixture tests
def test_two_files_exact_counts_and_edges(pair: tuple[Path, Path]) -> None:
    """Every count of the report and the exact edge set of the two-file fixture."""
    streets = osm.read_osm(pair, drop_stale=False)
    report = streets.report
    for key, value in EXPECTED_COUNTS.items():
        assert getattr(report, key) == value, key
    assert _edges(streets) == EXPECTED_EDGES
    # arrays: sorted unique ids, u < v, each undirected pair once, dtypes as documented
    assert streets.node_id.dtype == np.int64 and streets.edge_u.dtype == np.int32
    assert np.all(np.diff(streets.node_id) > 0)
    assert np.all(streets.edge_u < streets.edge_v)
    assert 26 not in streets.node_id  # merged into node 25 (zero-length segment)
    # node 11 moved: the newer file's location wins
    assert _lat_of(streets, 11) == pytest.approx(59.9113)
    assert _lat_of(streets, 1) == pytest.approx(59.901)
    assert streets.lon[np.searchsorted(streets.node_id, 2)] == pytest.approx(10.75)
    # component 0 is the largest one: {1, 2, 3, 10, 11}
    assert set(streets.node_id[streets.component == 0]) == {1, 2, 3, 10, 11}
    assert np.bincount(streets.component).tolist() == [5, 3, 3, 3, 2, 2, 2]


def test_file_order_does_not_matter(pair: tuple[Path, Path]) -> None:
    """The newer file wins by its timestamps, not by its place in the list."""
    forward = osm.read_osm(pair, drop_stale=False)
    backward = osm.read_osm(pair[::-1], drop_stale=False)
    assert _edges(backward) == _edges(forward)
    assert _lat_of(backward, 11) == pytest.approx(59.9113)
    assert backward.report.files == ("b.osm", "a.osm.xml")


def test_stale_ways_of_the_older_file_are_dropped(pair: tuple[Path, Path]) -> None:
    """Ways of the older file that the newer file covers but lacks are left out."""
    # File B is newer and holds nodes 1, 2 and 29 but not ways 100, 106, 107 and 114 that use
    # them: as extracts hold every way through their nodes, those ways were deleted since.
    streets = osm.read_osm(pair)
    report = streets.report
    assert report.stale_ways == 4
    assert report.highway_ways == 14 and report.walkable_ways == 11
    assert report.excluded == {
        "area": 1,
        "access": 0,
        "highway": 1,
        "foot": 0,
        "service": 0,
        "sidewalk": 1,
    }
    expected = {pair_: way for pair_, way in EXPECTED_EDGES.items() if pair_ != (2, 3)}
    expected[(1, 2)] = 116
    assert _edges(streets) == expected
    assert (report.invalid_nodes, report.invalid_segments, report.duplicate_segments) == (1, 1, 0)
    assert any("Utdatert: 4 veier" in line for line in report.lines())


def test_stale_by_header_bounds(tmp_path: Path) -> None:
    """A newer file's ``<bounds>`` covers ways whose nodes it does not hold."""
    old = _doc(
        [_node(40), _node(41), _node(42), _node(43)],
        f'  <way id="600" {T_A}><nd ref="40"/><nd ref="41"/><tag k="highway" v="footway"/></way>\n'
        f'  <way id="601" {T_A}><nd ref="42"/><nd ref="43"/><tag k="highway" v="footway"/></way>\n',
    )
    # the newer file covers node 40 (inside <bounds>) but no longer has way 600
    bounds = '  <bounds minlat="59.930" minlon="10.740" maxlat="59.9405" maxlon="10.760"/>'
    new = _doc(
        [bounds, _node(50), _node(51)],
        f'  <way id="700" version="1" {T_B}><nd ref="50"/><nd ref="51"/>'
        '<tag k="highway" v="footway"/></way>\n',
    )
    paths = [_write(tmp_path, "old.osm", old), _write(tmp_path, "new.osm", new)]
    for order in (paths, paths[::-1]):
        streets = osm.read_osm(order)
        assert streets.report.stale_ways == 1
        assert set(_edges(streets)) == {(42, 43), (50, 51)}
    assert set(_edges(osm.read_osm(paths, drop_stale=False))) == {(40, 41), (42, 43), (50, 51)}


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz", ".osm.bz2"])
def test_compressed_xml_reads_the_same(tmp_path: Path, suffix: str) -> None:
    """Plain, gzip and bzip2 OSM XML give the same network."""
    paths = [_write(tmp_path, "a.osm.xml", FILE_A), _write(tmp_path, "b" + suffix, FILE_B)]
    streets = osm.read_osm(paths, drop_stale=False)
    assert _edges(streets) == EXPECTED_EDGES
    assert streets.report.invalid_nodes == 2  # the lon="nan" node survives decompression too


def test_pbf_written_by_osmium_reads_the_same(pair: tuple[Path, Path], tmp_path: Path) -> None:
    """The fixture converted to PBF gives the same network."""
    pbf = tmp_path / "a.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(pair[0])):
            writer.add(obj)
    streets = osm.read_osm([pbf, pair[1]], drop_stale=False)
    assert _edges(streets) == EXPECTED_EDGES
    assert streets.report.files == ("a.osm.pbf", "b.osm")
    assert streets.report.invalid_nodes == 2


def test_report_lines_are_bokmaal(pair: tuple[Path, Path]) -> None:
    """The CLI lines: bokmål, singular/plural, zero counts left out."""
    lines = osm.read_osm(pair, drop_stale=False).report.lines()
    text = "\n".join(lines)
    assert lines[0] == ("Leste 2 filer (a.osm.xml, b.osm): 24 veier, 18 med highway, 13 gangbare.")
    assert "Duplikater: 4 veier og 8 noder fantes i flere filer" in text
    assert "1 node hadde ulik posisjon" in text
    assert "1 forbudt for gående (foot=no)" in text and "1 privat (access=private)" in text
    assert "service=private" not in text  # zero counts are left out
    assert "2 selvløkker" in text
    assert "1 avkuttet vei (1 segment; 1 node finnes ikke i filene)" in text
    assert "2 noder med ugyldig posisjon (3 segmenter)" in text
    assert "2 veier med færre enn to noder" in text
    assert "1 segment med lengde null" in text and "1 slettet vei" in text
    assert "Beholdt: 1 lukket vei (ring), 1 vei fullført med noder fra en annen fil" in text
    assert "Gangnett: 20 noder, 15 kanter, 7 sammenhengende deler (største: 5 noder)." in text
    assert lines[-1] == "Nyeste vei i dataene: 2024-01-01."


def test_negative_ids_are_reported(tmp_path: Path) -> None:
    """Unsaved JOSM objects (negative ids) cannot be located and are named."""
    text = _doc(
        [_node(1), _node(2), '  <node id="-5" lat="59.95" lon="10.75"/>'],
        '  <way id="-1"><nd ref="1"/><nd ref="2"/><nd ref="-5"/><tag k="highway" v="footway"/></way>\n',
    )
    report = osm.read_osm(_write(tmp_path, "josm.osm", text)).report
    assert (report.missing_nodes, report.negative_missing_nodes, report.edges) == (1, 1, 1)
    assert any("negativ id" in line for line in report.lines())


def test_project_to_metres(pair: tuple[Path, Path]) -> None:
    """Projection to EPSG:25832 gives metres; EPSG:4326 gives lon/lat back."""
    streets = osm.read_osm(pair, drop_stale=False)
    x, y = osm.project(streets)
    assert x.dtype == np.float64 and len(x) == streets.n_nodes
    # nodes 1 and 2 are 0.001° of latitude and 0.001° of longitude apart: ~111 m and ~56 m
    i, j = np.searchsorted(streets.node_id, [1, 2])
    assert np.hypot(x[i] - x[j], y[i] - y[j]) == pytest.approx(np.hypot(111.3, 55.8), rel=0.01)
    assert x.min() > 590_000 and x.max() < 605_000 and 6_640_000 < y.min() < 6_660_000
    lon, lat = osm.project(streets, "EPSG:4326")
    assert np.allclose(lon, streets.lon) and np.allclose(lat, streets.lat)


# ------------------------------------------------------------------------------------ the filter
@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"highway": "footway"}, None),
        ({"highway": "residential", "foot": "yes", "access": "no"}, None),  # osmnx keeps access=no
        ({"highway": "path", "foot": "no"}, "foot"),
        ({"highway": "path", "foot": "unknown"}, "foot"),  # regex search: "unknown" contains "no"
        ({"highway": "service", "access": "private"}, "access"),
        ({"highway": "service", "service": "private"}, "service"),
        ({"highway": "pedestrian", "area": "yes"}, "area"),
        ({"highway": "motorway_link"}, "highway"),
        ({"highway": "cycleway", "foot": "designated"}, "highway"),
        ({"highway": "construction"}, "highway"),
        ({"highway": "primary", "sidewalk:left": "separate"}, "sidewalk"),
        ({"highway": "primary", "sidewalk": "separate"}, "sidewalk"),
        ({"building": "yes"}, "no_highway"),
        ({}, "no_highway"),
    ],
)
def test_exclusion_reason(tags: dict[str, str], reason: str | None) -> None:
    """The first failed rule of the walk filter, and is_walkable agreeing with it."""
    assert osm.exclusion_reason(tags) == reason
    assert osm.is_walkable(tags) is (reason is None)
    if reason is not None:
        assert reason in osm.EXCLUSION_LABELS


def _osmnx_walk_rules() -> tuple[list[str], list[tuple[str, re.Pattern[str]]]]:
    """Parse osmnx's own walk filter string into required keys and (key, must-not-match) rules."""
    ox = pytest.importorskip("osmnx")
    from osmnx import _overpass

    text = _overpass._get_network_filter("walk") + ox.settings.default_access
    clauses = re.findall(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]', text)
    assert "".join(f'["{k}"' + (f'{op}"{p}"' if op else "") + "]" for k, op, p in clauses) == text
    required = [key for key, op, _ in clauses if not op]
    negated = [(key, re.compile(pattern)) for key, op, pattern in clauses if op == "!~"]
    assert len(required) + len(negated) == len(clauses), "osmnx uses an operator not handled here"
    assert required == ["highway"] and len(negated) >= 10
    return required, negated


def _osmnx_walkable(
    tags: dict[str, str], required: list[str], negated: list[tuple[str, re.Pattern[str]]]
) -> bool:
    """Apply the parsed osmnx rules to one tag set."""
    return all(k in tags for k in required) and not any(
        k in tags and p.search(tags[k]) for k, p in negated
    )


@needs_data
def test_is_walkable_matches_osmnx_on_every_highway_way() -> None:
    """Same decision as osmnx's own filter string on every highway way of the centre."""
    required, negated = _osmnx_walk_rules()
    ways = [
        dict(w.tags)
        for w in osmium.FileProcessor(str(CENTER), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
    ]
    assert len(ways) > 14_000
    ours = [osm.is_walkable(tags) for tags in ways]
    theirs = [_osmnx_walkable(tags, required, negated) for tags in ways]
    mismatches = [t for t, a, b in zip(ways, ours, theirs, strict=True) if a != b]
    assert mismatches == []
    assert 10_000 < sum(ours) < len(ways) - 1_000  # both decisions occur, often
    assert all((osm.exclusion_reason(t) is None) == w for t, w in zip(ways, ours, strict=True))


# ------------------------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def both() -> osm.OsmStreets:
    """Both real extracts read together."""
    return osm.read_osm([EAST, CENTER])


@pytest.fixture(scope="module")
def center() -> osm.OsmStreets:
    """The clipped centre extract alone."""
    return osm.read_osm(CENTER)


@pytest.fixture(scope="module")
def east() -> osm.OsmStreets:
    """The complete-ways east extract alone."""
    return osm.read_osm(EAST)


def _check_arrays(streets: osm.OsmStreets) -> None:
    """Invariants of every OsmStreets."""
    assert np.all(np.diff(streets.node_id) > 0)
    assert np.all(streets.edge_u < streets.edge_v)
    pairs = streets.edge_u.astype(np.int64) * streets.n_nodes + streets.edge_v
    assert len(np.unique(pairs)) == streets.n_edges
    used = np.zeros(streets.n_nodes, dtype=bool)
    used[streets.edge_u] = used[streets.edge_v] = True
    assert used.all()  # no isolated nodes
    assert streets.lon.min() > 10.70 and streets.lon.max() < 10.84
    assert streets.lat.min() > 59.85 and streets.lat.max() < 59.95


@needs_data
def test_real_extracts_together(
    both: osm.OsmStreets, east: osm.OsmStreets, center: osm.OsmStreets
) -> None:
    """Sizes and counts of the merged real network."""
    r = both.report
    _check_arrays(both)
    assert r.files == (EAST.name, CENTER.name)
    assert r.ways_read == 14_893 + 32_700 == east.report.ways_read + center.report.ways_read
    assert r.nodes > 100_000 and r.edges > 110_000 and r.walkable_ways > 19_000
    assert r.nodes > max(east.report.nodes, center.report.nodes)
    assert r.duplicate_ways > 6_000 and r.duplicate_nodes > 30_000 and r.conflicting_nodes > 0
    assert r.duplicate_ways == r.ways_read - r.ways_unique
    assert r.stale_ways > 300  # 2019 ways deleted or split by 2025 inside the centre
    # the east extract completes ways clipped at the centre's bounding box
    assert r.completed_ways > 0 and r.clipped_ways < center.report.clipped_ways
    assert r.self_loop_segments == 0  # the real data has none (closed ways instead)
    assert r.closed_ways > 200 and r.degenerate_ways > 0
    assert r.largest_component > 0.9 * r.nodes and r.components > 1
    assert int(np.count_nonzero(both.component == 0)) == r.largest_component
    assert r.newest_timestamp is not None and r.newest_timestamp.year == 2025
    assert r.seconds < 15
    assert sum(r.excluded.values()) > 1_500 and r.excluded["foot"] > 100


@needs_data
def test_real_extracts_alone(east: osm.OsmStreets, center: osm.OsmStreets) -> None:
    """Each real extract alone: clipping only in the centre one."""
    _check_arrays(east)
    _check_arrays(center)
    e, c = east.report, center.report
    assert e.ways_read == 14_893 and c.ways_read == 32_700
    assert e.clipped_ways == 0 and e.missing_nodes == 0 and e.duplicate_ways == 0  # complete ways
    assert c.clipped_ways > 200 and c.clipped_segments > c.clipped_ways and c.missing_nodes > 1_000
    assert c.non_highway_ways > 15_000  # buildings, land use, …
    assert e.newest_timestamp is not None and e.newest_timestamp.year == 2019
    assert e.nodes > 70_000 and c.nodes > 50_000


@needs_data
def test_real_network_projects_to_oslo(both: osm.OsmStreets) -> None:
    """The projected real network lies in Oslo with street-like segment lengths."""
    x, y = osm.project(both)
    x0, y0, x1, y1 = settings.OSLO_BBOX_25832
    assert x.min() > x0 and x.max() < x1 and y.min() > y0 and y.max() < y1
    length = np.hypot(x[both.edge_u] - x[both.edge_v], y[both.edge_u] - y[both.edge_v])
    assert length.min() > 0 and 5 < np.median(length) < 30 and length.max() < 2_000


# ------------------------------------------------------------------------------------ bad files
def _error(paths: object) -> str:
    """Read ``paths``, expect OsmReadError (a ValueError) and return its message."""
    with pytest.raises(osm.OsmReadError) as info:
        osm.read_osm(paths)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is named in bokmål."""
    message = _error(tmp_path / "finnes-ikke.osm.pbf")
    assert "Finner ikke filen «finnes-ikke.osm.pbf»" in message


def test_empty_file(tmp_path: Path) -> None:
    """An empty file is named in bokmål."""
    (tmp_path / "tom.osm").write_bytes(b"")
    assert _error(tmp_path / "tom.osm") == "Filen «tom.osm» er tom."


def test_text_file_is_not_osm(tmp_path: Path) -> None:
    """Text and non-OSM XML are recognised from their content."""
    (tmp_path / "notat.osm").write_text("Dette er bare et notat.\n", encoding="utf-8")
    assert "Filen «notat.osm» er ikke en OpenStreetMap-fil" in _error(tmp_path / "notat.osm")
    (tmp_path / "side.osm.xml").write_text("<html><body>hei</body></html>", encoding="utf-8")
    assert "«side.osm.xml» er en XML-fil, men ikke OSM" in _error(tmp_path / "side.osm.xml")


@needs_data
def test_truncated_pbf(tmp_path: Path) -> None:
    """The first 1000 bytes of a real PBF: a clear error, no traceback."""
    path = tmp_path / "avkuttet.osm.pbf"
    path.write_bytes(CENTER.read_bytes()[:1000])
    message = _error(path)
    assert "Filen «avkuttet.osm.pbf» kan ikke leses: den er skadet, avkuttet" in message


def test_truncated_xml_and_corrupt_gzip(tmp_path: Path) -> None:
    """Half an XML file and a cut gzip stream give clear errors."""
    _write(tmp_path, "halv.osm", FILE_A[: len(FILE_A) // 2])
    assert "«halv.osm» kan ikke leses" in _error(tmp_path / "halv.osm")
    data = gzip.compress(FILE_A.encode())
    (tmp_path / "skadet.osm.gz").write_bytes(data[:40])
    assert "«skadet.osm.gz»" in _error(tmp_path / "skadet.osm.gz")


def test_bad_second_file_is_named(pair: tuple[Path, Path], tmp_path: Path) -> None:
    """With several files, the bad one is named."""
    (tmp_path / "tom.osm.pbf").write_bytes(b"")
    assert "«tom.osm.pbf»" in _error([pair[0], tmp_path / "tom.osm.pbf"])


def test_folder_and_no_files(tmp_path: Path) -> None:
    """A folder, or no file at all."""
    assert "er en mappe" in _error(tmp_path)
    assert _error([]) == "Ingen OSM-filer er oppgitt."


def test_no_walkable_way(tmp_path: Path) -> None:
    """Only a building and a motorway: no walkable way."""
    text = _doc(
        [_node(1), _node(2), _node(3)],
        '  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>\n'
        '  <way id="2"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>\n',
    )
    message = _error(_write(tmp_path, "bygg.osm", text))
    assert message == "Fant ingen gangbare veier i «bygg.osm» (2 veier lest, 1 med highway)."


def test_no_usable_segment(tmp_path: Path) -> None:
    """A walkable way whose only segment touches a missing node."""
    text = _doc(
        [_node(1)], '  <way id="1"><nd ref="1"/><nd ref="9"/><tag k="highway" v="footway"/></way>\n'
    )
    assert "Fant ingen gangbare veier i «klipt.osm»" in _error(_write(tmp_path, "klipt.osm", text))
