"""Walking network: hand-built networks whose distances can be worked out on paper."""

from __future__ import annotations

import bz2
import importlib
import io
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

from geo import network as gn
from geo.distance import StraightLineEngine
from geo.errors import NetworkUnavailableError
from geo.settings import minutes_to_metres, walk_minutes

X0, Y0 = 597_000.0, 6_643_000.0


def river_town() -> gn.WalkNetwork:
    """Two streets 100 m apart with a river between them and one bridge at the east end.

    ::

        B0 ---- B1 ---- B2      y = 100
                        |       (bridge, 100 m)
        ~~~~~~~~~~~~~~~~|~~~~   river
        A0 ---- A1 ---- A2      y = 0
        x=0     x=100   x=200
    """
    xy = np.array([[0, 0], [100, 0], [200, 0], [0, 100], [100, 100], [200, 100]], float)
    edges = [(0, 1), (1, 2), (3, 4), (4, 5), (2, 5)]
    u, v = zip(*edges, strict=True)
    return gn.WalkNetwork.from_edges(xy[:, 0] + X0, xy[:, 1] + Y0, u, v, source="test")


def pt(x: float, y: float) -> list[float]:
    return [X0 + x, Y0 + y]


def test_walk_minutes_and_back() -> None:
    assert walk_minutes(750.0) == pytest.approx(10.0)
    assert walk_minutes(750.0, speed_kmh=3.0) == pytest.approx(15.0)
    np.testing.assert_allclose(walk_minutes(np.array([75.0, np.inf])), [1.0, np.inf])
    assert minutes_to_metres(15) == pytest.approx(1125.0)
    with pytest.raises(ValueError):
        walk_minutes(100.0, speed_kmh=0)


def test_network_distance_goes_round_the_river() -> None:
    net = river_town()
    # demand 10 m north of B0, site 5 m south of A0: 115 m as the crow flies
    demand = np.array([pt(0, 110)])
    engine = gn.NetworkEngine(net, demand)
    site = np.array([pt(0, -5)])
    # snap 10 + B0→B1→B2→A2→A1→A0 (5 × 100) + snap 5
    assert engine.nearest(site)[0] == pytest.approx(515.0)
    assert StraightLineEngine(demand).nearest(site)[0] == pytest.approx(115.0)
    assert engine.kind == "network"
    assert "gangnett" in engine.note


def test_snapping_picks_nearest_node_and_adds_both_snaps() -> None:
    net = river_town()
    engine = gn.NetworkEngine(net, np.array([pt(95, 3), pt(210, 96)]))
    np.testing.assert_array_equal(engine.demand_node, [1, 5])
    np.testing.assert_allclose(engine.demand_snap_m, [np.hypot(5, 3), np.hypot(10, 4)])
    dist = engine.nearest(np.array([pt(100, -20)]))  # site snaps to A1, 20 m away
    np.testing.assert_allclose(dist, [np.hypot(5, 3) + 20, np.hypot(10, 4) + 200 + 20])


def test_nearest_picks_closest_site_by_network_not_by_air() -> None:
    net = river_town()
    engine = gn.NetworkEngine(net, np.array([pt(0, 100)]))
    # site 0 at A0 is 100 m away in air but 500 m on foot; site 1 at B2 is 200 m on foot
    dist, idx = engine.nearest_with_index(np.array([pt(0, 0), pt(200, 100)]))
    assert dist[0] == pytest.approx(200.0)
    assert idx[0] == 1


def test_off_network_demand_and_sites_are_unreachable_and_counted() -> None:
    net = river_town()
    engine = gn.NetworkEngine(net, np.array([pt(0, 0), pt(0, 1000)]), max_snap_m=300)
    assert engine.n_off_network == 1
    assert "1 etterspørselspunkt" in engine.note
    dist, idx = engine.nearest_with_index(np.array([pt(100, 0)]))
    assert dist[0] == pytest.approx(100.0)
    assert np.isinf(dist[1]) and idx[1] == -1
    # a site far off the network reaches nobody
    far = engine.nearest(np.array([pt(5000, 5000)]))
    assert np.all(np.isinf(far))
    # no sites at all
    assert np.all(np.isinf(engine.nearest(np.empty((0, 2)))))
    # or: the 900 m to B0 is walked in a straight line, then B0→B1→B2→A2→A1 (400 m)
    walk = gn.NetworkEngine(
        net, np.array([pt(0, 0), pt(0, 1000)]), max_snap_m=300, off_network="walk"
    )
    assert walk.n_off_network == 1 and "luftlinje" in walk.note
    np.testing.assert_allclose(walk.nearest(np.array([pt(100, 0)])), [100.0, 900.0 + 400.0])


def test_disconnected_component_is_unreachable() -> None:
    xy = np.array([[0, 0], [100, 0], [1000, 0], [1100, 0]], float)
    net = gn.WalkNetwork.from_edges(xy[:, 0] + X0, xy[:, 1] + Y0, [0, 2], [1, 3])
    engine = gn.NetworkEngine(net, np.array([pt(1100, 0), pt(100, 0)]))
    dist = engine.nearest(np.array([pt(0, 0)]))
    assert np.isinf(dist[0]) and dist[1] == pytest.approx(100.0)


def test_parallel_edges_keep_shortest_and_self_loops_drop() -> None:
    net = gn.WalkNetwork.from_edges(
        [0, 10], [0, 0], [0, 1, 0, 1], [1, 0, 1, 1], [30.0, 12.0, 50.0, 5.0]
    )
    assert net.n_edges == 1
    assert net.edge_length[0] == pytest.approx(12.0)
    assert net.csr[0, 1] == pytest.approx(12.0) and net.csr[1, 0] == pytest.approx(12.0)
    with pytest.raises(ValueError):
        gn.WalkNetwork.from_edges([0, 1], [0, 0], [0], [5])


def test_zero_length_edge_still_connects() -> None:
    net = gn.WalkNetwork.from_edges([0, 0, 100], [0, 0, 0], [0, 1], [1, 2], [0.0, 100.0])
    dist, src = gn.multi_source_dijkstra(net.csr, np.array([0]))
    np.testing.assert_allclose(dist, [0, 0, 100])
    np.testing.assert_array_equal(src, [0, 0, 0])


def test_multi_source_offsets_decide_the_winner() -> None:
    # a line 0-1-2-3-4, 100 m steps; source at node 0 starts 0 m, source at node 4 starts 150 m
    net = gn.WalkNetwork.from_edges(np.arange(5) * 100.0, np.zeros(5), [0, 1, 2, 3], [1, 2, 3, 4])
    dist, src = gn.multi_source_dijkstra(net.csr, np.array([0, 4]), np.array([0.0, 150.0]))
    np.testing.assert_allclose(dist, [0, 100, 200, 250, 150])
    np.testing.assert_array_equal(src, [0, 0, 0, 1, 1])
    limited, lsrc = gn.multi_source_dijkstra(net.csr, np.array([0]), limit=150)
    assert np.isinf(limited[2]) and lsrc[2] == -1


def test_within_matrix_matches_threshold() -> None:
    net = river_town()
    demand = np.array([pt(0, 100), pt(100, 100), pt(200, 100), pt(0, 0)])
    engine = gn.NetworkEngine(net, demand)
    sites = np.array([pt(200, 100), pt(0, 0)])
    m = engine.within(sites, 250.0)
    assert m.shape == (4, 2)
    dense = m.toarray()
    # site at B2: B0 200, B1 100, B2 0 (stored as 1e-9), A0 is 400 away → missing
    np.testing.assert_allclose(dense[:, 0], [200 + 1e-9, 100 + 1e-9, 1e-9, 0], atol=1e-12)
    assert m[2, 0] > 0  # zero distance stays stored
    # site at A0: only A0 (0 m) within 250 m
    assert m[3, 1] > 0 and dense[:3, 1].sum() == 0
    # same as the nearest distances where within
    full = engine.nearest(sites[:1])
    stored = dense[:, 0] > 0
    np.testing.assert_allclose(dense[stored, 0] - 1e-9, full[stored], atol=1e-9)


def test_within_with_many_candidates_in_small_batches() -> None:
    net = gn.grid_network(20, 20, spacing_m=50.0, origin=(X0, Y0))
    rng = np.random.default_rng(3)
    demand = np.c_[X0 + rng.uniform(0, 950, 60), Y0 + rng.uniform(0, 950, 60)]
    sites = np.c_[X0 + rng.uniform(0, 950, 25), Y0 + rng.uniform(0, 950, 25)]
    engine = gn.NetworkEngine(net, demand)
    m = engine.within(sites, 300.0, chunk_bytes=8 * net.n_nodes * 3).toarray()
    for j in range(len(sites)):
        d = engine.nearest(sites[j : j + 1])
        expect = np.where(d <= 300.0, d + 1e-9, 0.0)
        np.testing.assert_allclose(m[:, j], expect, atol=1e-6)


def test_grid_network_distances_are_manhattan() -> None:
    net = gn.grid_network(5, 4, spacing_m=50.0, origin=(X0, Y0))
    assert net.n_nodes == 20 and net.n_edges == 4 * 4 + 5 * 3
    engine = gn.NetworkEngine(net, np.array([pt(200, 150)]))
    assert engine.nearest(np.array([pt(0, 0)]))[0] == pytest.approx(350.0)


def test_cache_roundtrip(tmp_path: Path) -> None:
    net = river_town()
    path = net.save(tmp_path / "network" / "oslo_walk.npz")
    back = gn.WalkNetwork.load(path)
    np.testing.assert_array_equal(back.node_id, net.node_id)
    np.testing.assert_allclose(back.x, net.x)
    np.testing.assert_array_equal(back.edge_u, net.edge_u)
    np.testing.assert_allclose(back.edge_length, net.edge_length)
    assert back.source == "test"
    loaded = gn.load_walk_network(tmp_path)
    assert loaded is not None and loaded.n_edges == 5


def test_no_network_means_none_and_a_visible_fallback(tmp_path: Path) -> None:
    assert gn.load_walk_network(tmp_path) is None
    demand = np.array([pt(0, 0)])
    engine, note = gn.distance_engine(demand, "network", data_dir=tmp_path)
    assert engine.kind == "straight"
    assert note.startswith("Gangnett ikke tilgjengelig – avstander er luftlinje")
    assert engine.note == note
    straight, snote = gn.distance_engine(demand, "straight", speed_kmh=5.0)
    assert straight.kind == "straight" and "luftlinje" in snote and "5 km/t" in snote
    with pytest.raises(ValueError):
        gn.distance_engine(demand, "fly")


def test_distance_engine_uses_network_when_present(tmp_path: Path) -> None:
    river_town().save(tmp_path / "network" / gn.CACHE_NAME)
    engine, note = gn.distance_engine(np.array([pt(0, 110)]), "network", data_dir=tmp_path)
    assert engine.kind == "network"
    assert "gangnettet" in note and "4,5 km/t" in note
    assert engine.nearest(np.array([pt(0, -5)]))[0] == pytest.approx(515.0)


def curved_graph() -> nx.MultiDiGraph:
    """Two nodes joined by an L-shaped way 300 m long (geometry), plus its reverse twin."""
    g = nx.MultiDiGraph(crs="EPSG:25832")
    g.add_node(11, x=X0, y=Y0)
    g.add_node(22, x=X0 + 100, y=Y0 + 200)
    line = shapely.LineString([(X0, Y0), (X0, Y0 + 200), (X0 + 100, Y0 + 200)])
    g.add_edge(11, 22, length=300.0, geometry=line)
    g.add_edge(22, 11, length=300.0, geometry=shapely.reverse(line))
    return g


def test_from_networkx_follows_geometry_and_densifies() -> None:
    net = gn.WalkNetwork.from_networkx(curved_graph(), max_segment_m=50.0)
    # 300 m in pieces of at most 50 m → 6 pieces, 5 inner nodes with negative ids
    assert net.n_edges == 6
    assert net.n_nodes == 7
    assert sorted(net.node_id[:2]) == [11, 22]
    assert np.all(net.node_id[2:] < 0)
    assert net.edge_length.max() <= 50.0 + 1e-9
    engine = gn.NetworkEngine(net, np.array([pt(100, 200)]))
    assert engine.nearest(np.array([pt(0, 0)]))[0] == pytest.approx(300.0)
    # a point beside the middle of the long leg snaps to an inner node, not 100 m away
    mid = gn.NetworkEngine(net, np.array([pt(10, 100)]))
    assert mid.demand_snap_m[0] == pytest.approx(10.0)


def test_graphml_source_is_read_and_cached(tmp_path: Path) -> None:
    import osmnx as ox

    folder = tmp_path / "network"
    folder.mkdir()
    ox.save_graphml(curved_graph(), folder / "oslo_walk.graphml")
    net = gn.load_walk_network(tmp_path)
    assert net is not None and net.source == "oslo_walk.graphml"
    assert (folder / gn.CACHE_NAME).is_file()
    again = gn.load_walk_network(tmp_path)
    assert again is not None and again.n_edges == net.n_edges


# A hand-made OSM XML test fixture (not real OSM data): a 3-node footway along Karl Johans gate
# area coordinates, a side street, a motorway that walking must ignore, and a foot=no path.
OSM_FIXTURE = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test fixture (hand-made, fictitious ways)">
  <node id="1" lat="59.9130" lon="10.7400" version="1"/>
  <node id="2" lat="59.9130" lon="10.7420" version="1"/>
  <node id="3" lat="59.9130" lon="10.7440" version="1"/>
  <node id="4" lat="59.9140" lon="10.7420" version="1"/>
  <node id="5" lat="59.9120" lon="10.7400" version="1"/>
  <node id="6" lat="59.9120" lon="10.7440" version="1"/>
  <node id="7" lat="59.9150" lon="10.7400" version="1"/>
  <way id="100" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="footway"/>
  </way>
  <way id="101" version="1">
    <nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/>
  </way>
  <way id="102" version="1">
    <nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="motorway"/>
  </way>
  <way id="103" version="1">
    <nd ref="1"/><nd ref="5"/>
    <tag k="highway" v="motorway_link"/>
  </way>
  <way id="104" version="1">
    <nd ref="4"/><nd ref="7"/>
    <tag k="highway" v="path"/><tag k="foot" v="no"/>
  </way>
</osm>
"""


def _utm(lat: float, lon: float) -> tuple[float, float]:
    t = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    x, y = t.transform(lon, lat)
    return float(x), float(y)


@pytest.mark.parametrize("name", ["oslo.osm", "oslo.osm.bz2"])
def test_osm_xml_is_filtered_projected_and_measured(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "network"
    folder.mkdir()
    data = OSM_FIXTURE.encode()
    (folder / name).write_bytes(bz2.compress(data) if name.endswith(".bz2") else data)
    net = gn.load_walk_network(tmp_path)
    assert net is not None
    assert net.source == name
    assert (folder / gn.CACHE_NAME).is_file()
    # the motorway nodes 5, 6 and the foot=no path's end 7 are not walkable
    assert not {5, 6, 7} & set(net.node_id.tolist())
    assert {1, 2, 3, 4} <= set(net.node_id.tolist())
    p1, p3, p4 = _utm(59.9130, 10.7400), _utm(59.9130, 10.7440), _utm(59.9140, 10.7420)
    p2 = _utm(59.9130, 10.7420)
    engine = gn.NetworkEngine(net, np.array([p4]))
    # 4 → 2 → 1 against the one-way street: walking ignores oneway
    expect = np.hypot(*np.subtract(p4, p2)) + np.hypot(*np.subtract(p2, p1))
    assert engine.nearest(np.array([p1]))[0] == pytest.approx(expect, rel=1e-6)
    assert 200 < expect < 260  # ≈ 111 m + 112 m: a sanity check on the projection
    line = gn.NetworkEngine(net, np.array([p1]))
    assert line.nearest(np.array([p3]))[0] == pytest.approx(
        np.hypot(*np.subtract(p3, p1)), rel=1e-6
    )


class _Answer(io.BytesIO):
    """What urlopen returns, as a context manager."""

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_download_reads_the_overpass_answer_with_the_same_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urllib.request

    asked: list[bytes] = []

    def fake_urlopen(url: str, data: bytes, timeout: float) -> _Answer:
        asked.append(data)
        return _Answer(OSM_FIXTURE.encode())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    path = gn.download_walk_network(tmp_path, polygon=shapely.box(10.7, 59.9, 10.8, 60.0))
    assert path == tmp_path / "network" / gn.DOWNLOAD_NAME and path.is_file()
    query = urllib.parse.unquote_plus(asked[0].decode())
    assert 'way["highway"](poly:"' in query and "59.90000 10.70000" in query
    net = gn.load_walk_network(tmp_path)
    assert net is not None and gn.DOWNLOAD_NAME in net.source
    assert not list((tmp_path / "network").glob("*.part"))


def test_download_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def offline(url: str, data: bytes, timeout: float) -> _Answer:
        raise OSError("no internet")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(NetworkUnavailableError, match="OpenStreetMap"):
        gn.download_walk_network(tmp_path, polygon=shapely.box(10.7, 59.9, 10.8, 60.0))
    assert not list((tmp_path / "network").glob("*"))


def test_broken_download_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    monkeypatch.setattr(
        urllib.request, "urlopen", lambda url, data, timeout: _Answer(b"<html>busy</html>")
    )
    with pytest.raises(NetworkUnavailableError, match="OpenStreetMap"):
        gn.download_walk_network(tmp_path, polygon=shapely.box(10.7, 59.9, 10.8, 60.0))
    assert not list((tmp_path / "network").glob("*"))


def test_isochrone_on_a_line_is_cut_at_the_threshold() -> None:
    # a 1 km street along x with nodes every 100 m; site at x=0
    net = gn.WalkNetwork.from_edges(
        np.arange(11) * 100.0 + X0, np.full(11, Y0), range(10), range(1, 11)
    )
    iso = gn.isochrones(
        net, np.array([pt(0, 0)]), [250.0], minutes=[10], buffer_m=20.0, site_ids=["A"]
    )
    assert list(iso.columns) == ["site_id", "threshold_m", "minutes", "distance", "geometry"]
    assert iso.crs.to_epsg() == 25832
    assert iso["threshold_m"].tolist() == [750.0, 250.0]
    assert iso["minutes"].tolist() == pytest.approx([10.0, 250 / 75])
    small = iso.geometry.iloc[1]
    minx, _, maxx, _ = small.bounds
    # the partial edge 200–300 is cut at 250; the corridor adds 20 m on each side
    assert maxx - X0 == pytest.approx(270.0, abs=0.5)
    assert minx - X0 == pytest.approx(-20.0, abs=0.5)
    assert small.contains(shapely.Point(X0 + 240, Y0 + 10))
    assert not small.contains(shapely.Point(X0 + 300, Y0))
    assert iso.geometry.iloc[0].bounds[2] - X0 == pytest.approx(770.0, abs=0.5)


def test_isochrone_respects_the_river_and_snap_offset() -> None:
    net = river_town()
    iso = gn.isochrones(net, np.array([pt(0, -50)]), [250.0], buffer_m=10.0)
    geom = iso.geometry.iloc[0]
    # 50 m to reach A0, 200 m left: A0–A2 covered, nothing across the river
    assert geom.contains(shapely.Point(X0 + 190, Y0))
    assert not geom.contains(shapely.Point(X0, Y0 + 100))
    assert not geom.intersects(shapely.Point(X0 + 200, Y0 + 30))
    # a site off the network gets an empty polygon
    far = gn.isochrones(net, np.array([pt(5000, 0)]), [500.0])
    assert far.geometry.iloc[0].is_empty


def test_isochrones_are_cached_per_network_site_and_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the package exports the function ``isochrones``, which shadows the module of that name
    iso_module = importlib.import_module("geo.network.isochrones")
    calls: list[float] = []
    real = iso_module.corridor_polygon

    def counting(segments: np.ndarray, buffer_m: float) -> shapely.Geometry:
        calls.append(buffer_m)
        return real(segments, buffer_m)

    monkeypatch.setattr(iso_module, "corridor_polygon", counting)
    net = river_town()
    a = gn.isochrones(net, np.array([pt(0, -50)]), [250.0, 150.0], buffer_m=10.0)
    assert len(calls) == 2
    # the same site again, plus one new site: only the new site's two polygons are drawn
    b = gn.isochrones(net, np.array([pt(0, -50), pt(200, 0)]), [250.0, 150.0], buffer_m=10.0)
    assert len(calls) == 4
    assert b.geometry.iloc[0].equals(a.geometry.iloc[0])
    # another corridor width is another polygon; another network has its own cache
    gn.isochrones(net, np.array([pt(0, -50)]), [250.0], buffer_m=20.0)
    gn.isochrones(river_town(), np.array([pt(0, -50)]), [250.0], buffer_m=10.0)
    assert len(calls) == 6
    gn.clear_isochrone_cache()
    gn.isochrones(net, np.array([pt(0, -50)]), [250.0], buffer_m=10.0)
    assert len(calls) == 7


def test_straight_isochrones_are_labelled_circles() -> None:
    iso = gn.straight_isochrones(np.array([pt(0, 0)]), [500.0])
    assert iso["distance"].tolist() == ["luftlinje"]
    assert iso.geometry.iloc[0].area == pytest.approx(np.pi * 500**2, rel=0.01)


def test_cli_network_cache_and_isochrones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas as gpd

    from geo.cli.main import main

    assert main(["network-cache", "--data-dir", str(tmp_path)]) == 2
    assert "Fant ikke gangnett" in capsys.readouterr().out
    (tmp_path / "network").mkdir()
    (tmp_path / "network" / "oslo.osm").write_text(OSM_FIXTURE, encoding="utf-8")
    assert main(["network-cache", "--data-dir", str(tmp_path)]) == 0
    assert "oslo.osm" in capsys.readouterr().out
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "id,name,category,lat,lon\nt1,Testpunkt (fiktivt),brukerrom,59.9130,10.7420\n",
        encoding="utf-8",
    )
    out_file = tmp_path / "iso.geojson"
    args = [
        "isochrones",
        str(sites),
        "--meters",
        "100",
        "--distance",
        "network",
        "--data-dir",
        str(tmp_path),
        "--out",
        str(out_file),
    ]
    assert main(args) == 0
    assert "gangnettet" in capsys.readouterr().out
    iso = gpd.read_file(out_file)
    assert iso.crs.to_epsg() == 4326
    assert iso["distance"].tolist() == ["gangnett"] and iso["site_id"].tolist() == [
        "Testpunkt (fiktivt)"
    ]
    assert not iso.geometry.iloc[0].is_empty


def test_nearest_by_category_runs_one_search_per_category() -> None:
    import geopandas as gpd

    net = river_town()
    engine = gn.NetworkEngine(net, np.array([pt(0, 100), pt(200, 0)]))
    services = gpd.GeoDataFrame(
        {"category": ["brukerrom", "lasso", "lasso"]},
        geometry=gpd.points_from_xy([X0, X0 + 200, X0 + 100], [Y0, Y0 + 100, Y0 + 5000]),
        crs="EPSG:25832",
    )
    table = gn.nearest_by_category(engine, services)
    assert list(table.columns) == ["brukerrom", "lasso"]
    # B0 → A0 round the river 500 m; A2 → A0 200 m; B0 → B2 200 m; A2 → B2 100 m
    np.testing.assert_allclose(table["brukerrom"], [500.0, 200.0])
    np.testing.assert_allclose(table["lasso"], [200.0, 100.0])
    empty = gn.nearest_by_category(engine, services, ["sproyteboks"])
    assert np.all(np.isinf(empty["sproyteboks"]))


def test_within_local_subgraphs_equal_whole_graph_search() -> None:
    rng = np.random.default_rng(11)
    grid = gn.grid_network(30, 30, spacing_m=40.0, origin=(X0, Y0))
    keep = rng.random(grid.n_edges) > 0.3
    lengths = grid.edge_length[keep] * rng.uniform(1.0, 1.4, keep.sum())
    net = gn.WalkNetwork.from_edges(grid.x, grid.y, grid.edge_u[keep], grid.edge_v[keep], lengths)
    assert net.lengths_cover_straight_line
    demand = np.c_[X0 + rng.uniform(0, 1160, 300), Y0 + rng.uniform(0, 1160, 300)]
    sites = np.c_[X0 + rng.uniform(0, 1160, 70), Y0 + rng.uniform(0, 1160, 70)]
    local = gn.NetworkEngine(net, demand, max_snap_m=60).within(sites, 250.0, batch_size=7)
    net.__dict__["lengths_cover_straight_line"] = False  # force whole-graph searches
    whole = gn.NetworkEngine(net, demand, max_snap_m=60).within(sites, 250.0)
    assert local.nnz == whole.nnz > 100
    np.testing.assert_allclose(local.toarray(), whole.toarray(), atol=1e-9)


def test_within_with_a_shortcut_shorter_than_the_crow_flies() -> None:
    # a 'tunnel' edge declared 10 m long between nodes 400 m apart: local discs would miss it
    net = gn.WalkNetwork.from_edges(
        [X0, X0 + 400, X0 + 420], [Y0, Y0, Y0], [0, 1], [1, 2], [10.0, 20.0]
    )
    assert not net.lengths_cover_straight_line
    engine = gn.NetworkEngine(net, np.array([pt(420, 0)]))
    m = engine.within(np.array([pt(0, 0)]), 50.0)
    assert m[0, 0] == pytest.approx(30.0)


def test_broken_osm_file_falls_back_with_reason(tmp_path: Path) -> None:
    (tmp_path / "network").mkdir()
    (tmp_path / "network" / "oslo.osm").write_text("<osm><node id='1'", encoding="utf-8")
    engine, note = gn.distance_engine(np.array([pt(0, 0)]), data_dir=tmp_path)
    assert engine.kind == "straight"
    assert note.startswith("Gangnett ikke tilgjengelig") and "kunne ikke leses" in note


def test_service_areas_follow_the_engine() -> None:
    net = river_town()
    demand = np.array([pt(0, 0)])
    walk = gn.service_areas(gn.NetworkEngine(net, demand), np.array([pt(0, 0)]), [150.0])
    air = gn.service_areas(StraightLineEngine(demand), np.array([pt(0, 0)]), [150.0])
    assert walk["distance"].tolist() == ["gangnett"] and air["distance"].tolist() == ["luftlinje"]
    # the circle crosses the river to B0 (100 m away); the walking area does not
    assert air.geometry.iloc[0].contains(shapely.Point(X0, Y0 + 100))
    assert not walk.geometry.iloc[0].contains(shapely.Point(X0, Y0 + 100))
    assert "gangnett" in walk.attrs["note"]
