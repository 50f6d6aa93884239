"""Every script, stylesheet, font and image of the maps comes from static/vendor (no CDN)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import folium
import pytest
from folium.plugins import Draw, FastMarkerCluster, Fullscreen, HeatMap, MarkerCluster

from geo import maps
from geo.data.boundaries import load_delbydeler
from geo.data.services import load_candidates, located
from geo.errors import ExternalAssetError
from geo.maps import webassets
from geo.maps.web import MapLayers, MapOptions


@pytest.fixture(scope="module")
def full_map(study):
    """A map with every feature on: choropleth, all layers, clusters and a heat map."""
    from geo.analysis.metrics import coverage_table

    table = coverage_table(study, ["brukerrom"])
    placed = located(study.services)
    m = maps.coverage_map(
        MapLayers(
            study.zones,
            table=table,
            metric="share_within_threshold",
            services=study.services,
            candidates=load_candidates("data/candidates_example.csv").frame,
            delbydeler=load_delbydeler(),
            service_areas=placed.buffer(500),
            user_points=placed.geometry,
        )
    )
    cluster = MarkerCluster(name="FIKTIV klynge").add_to(m)
    folium.Marker([59.91, 10.75], icon=folium.Icon(icon="info-sign")).add_to(cluster)
    return m


def _tag_urls(html: str) -> list[str]:
    return re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", html)


# ---------------------------------------------------------------------- the vendored files
def test_every_asset_in_the_map_exists():
    root = webassets.static_dir()
    assert (root / "VERSIONS.md").is_file()
    for url, rel in webassets.ASSET_MAP.items():
        assert url.startswith("https://")
        assert (root / rel).is_file(), rel
        assert (root / rel).stat().st_size > 500, rel


def test_asset_map_covers_folium_and_the_plugins_we_use():
    for cls in (folium.Map, MarkerCluster, FastMarkerCluster, HeatMap, Fullscreen):
        for _name, url in [*cls.default_js, *cls.default_css]:
            assert url in webassets.ASSET_MAP, (cls.__name__, url)


def test_versions_file_lists_every_vendored_package():
    root = webassets.static_dir()
    text = (root / "VERSIONS.md").read_text(encoding="utf-8")
    for folder in (p.name for p in root.iterdir() if p.is_dir()):
        assert f"`{folder}/`" in text, folder
    for pinned in ("1.9.3", "3.7.1", "5.2.2", "6.2.0", "2.0.2", "1.5.3", "0.2.0", "3.0.0"):
        assert pinned in text


def test_no_source_maps_and_no_remote_references_in_vendored_files():
    root = webassets.static_dir()
    for path in root.rglob("*"):
        assert path.suffix != ".map", path
        if path.suffix in (".js", ".css"):
            assert "sourceMappingURL" not in path.read_text(encoding="utf-8"), path


def test_css_url_references_resolve_to_vendored_files():
    root = webassets.static_dir()
    sheets = list(root.rglob("*.css"))
    assert len(sheets) >= 9
    checked = 0
    for sheet in sheets:
        for ref in webassets.css_urls(sheet.read_text(encoding="utf-8")):
            assert not ref.startswith(("http:", "https:", "//")), (sheet, ref)
            target = (sheet.parent / ref.split("?")[0].split("#")[0]).resolve()
            assert target.is_file(), (sheet.name, ref)
            assert root.resolve() in target.parents
            checked += 1
    assert checked >= 15  # leaflet, awesome-markers, font awesome, glyphicons, fullscreen


def test_static_dir_is_found_from_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (webassets.static_dir() / "leaflet" / "leaflet.js").is_file()
    monkeypatch.setenv("OSLO_COVERAGE_VENDOR", str(tmp_path))
    (tmp_path / "VERSIONS.md").write_text("x")
    assert webassets.static_dir() == tmp_path


# ---------------------------------------------------------------------- localise
def test_full_map_links_only_local_files(full_map):
    html = full_map.get_root().render()
    assert webassets.external_urls(html) == []
    urls = _tag_urls(html)
    assert len(urls) >= 9
    # folium's jQuery, Bootstrap and awesome-markers are not used by the map, so not linked
    assert not [u for u in urls if "jquery" in u or "bootstrap" in u or "awesome-markers" in u]
    root = webassets.static_dir()
    for url in urls:
        assert url.startswith("/app/static/vendor/"), url
        assert (root / url.removeprefix("/app/static/vendor/")).is_file(), url
    for needed in ("leaflet.markercluster.js", "leaflet-heat.js", "Control.FullScreen.js"):
        assert any(url.endswith(needed) for url in urls), needed


def test_app_map_document_has_only_local_links(study):
    """The page the app's map component shows: vendored scripts and styles only, legend inside."""
    from ui.leaflet_map import map_document

    m = maps.coverage_map(
        MapLayers(study.zones, services=study.services, user_points=study.services)
    )
    MarkerCluster().add_to(m)  # added after the map was built: localised all the same
    html, name, digest = map_document(m)
    assert webassets.external_urls(html) == []
    assert "/app/static/vendor/leaflet/leaflet.js" in html
    assert any(
        url.endswith("leaflet.markercluster.js") for url in re.findall(r'src="([^"]+)"', html)
    )
    assert f"var {name} = L.map(" in html and "oc-legend" in html
    # the digest names the document (the component reloads the map only when it changes)
    assert digest == hashlib.sha256(html.encode()).hexdigest()[:16]
    other = maps.coverage_map(MapLayers(study.zones))
    assert map_document(other)[2] != digest


def test_localise_does_not_change_folium_classes(zones):
    before_map, before_cluster = list(folium.Map.default_js), list(MarkerCluster.default_js)
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    webassets.localise(m)
    assert folium.Map.default_js == before_map and MarkerCluster.default_js == before_cluster
    fresh = folium.Map(tiles=None).get_root().render()
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in fresh
    assert webassets.external_urls(m.get_root().render()) == []


def test_children_added_after_localise_are_localised_at_render():
    m = webassets.localise(folium.Map(tiles=None))
    HeatMap([[59.91, 10.75, 1.0]]).add_to(folium.FeatureGroup().add_to(m))
    html = m.get_root().render()
    assert webassets.external_urls(html) == []
    assert 'src="/app/static/vendor/leaflet-heat/leaflet-heat.js"' in html


def test_unvendored_plugin_raises_or_is_reported():
    m = folium.Map(tiles=None)
    Draw().add_to(m)  # Leaflet.draw is not vendored
    with pytest.raises(ExternalAssetError, match=r"leaflet\.draw"):
        webassets.localise(m)
    loose = webassets.localise(folium.Map(tiles=None), strict=False)
    Draw().add_to(loose)
    html = loose.get_root().render()
    assert [u for u in webassets.external_urls(html) if "leaflet.draw" in u]
    assert not [u for u in webassets.external_urls(html) if "leaflet.draw" not in u]
    with pytest.raises(ExternalAssetError, match="lokal kopi"):
        webassets.standalone_html(loose)


def test_external_urls_reads_script_and_link_tags_only():
    html = (
        '<script src="https://a.example/x.js"></script><link rel="stylesheet" '
        "href='//b.example/y.css'/><a href=\"https://c.example\">c</a>"
        '<script src="/app/static/vendor/leaflet/leaflet.js"></script>'
        '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script>'
    )
    assert webassets.external_urls(html) == ["https://a.example/x.js", "//b.example/y.css"]


# ---------------------------------------------------------------------- standalone HTML
def _assert_self_contained(html: str) -> None:
    assert webassets.external_urls(html) == []
    assert not re.search(r"<script\b[^>]*\bsrc=", html)
    assert not re.search(r"<link\b[^>]*stylesheet", html)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", html)
    assert 'src="http' not in html and 'href="http' not in html


def test_standalone_html_inlines_everything(full_map):
    html = webassets.standalone_html(full_map)
    _assert_self_contained(html)
    assert "/* leaflet/leaflet.js */" in html and "/* fontawesome-free/css/all.min.css */" in html
    assert "data:font/woff2;base64," in html and "data:image/png;base64," in html
    assert "L.markerClusterGroup(" in html and "Grünerløkka" in html
    assert "/app/static/vendor" not in html
    assert "tile.openstreetmap.org" not in html and "cache.kartverket.no" not in html


def test_standalone_html_names_tiles_only_when_asked(zones):
    html = webassets.standalone_html(maps.coverage_map(MapLayers(zones), MapOptions(tiles="osm")))
    _assert_self_contained(html)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    remote = [u for u in re.findall(r"https?://[^\s\"'<>)]+\{z\}[^\s\"'<>)]*", html)]
    assert remote == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]


def test_standalone_html_of_a_plain_folium_map_uses_the_asset_map():
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    html = webassets.standalone_html(m)
    _assert_self_contained(html)
    assert "/* leaflet.fullscreen/Control.FullScreen.js */" in html


def test_literal_unicode_keeps_html_safe_escapes():
    page = r'{"a": "Gr\u00fcnerl\u00f8kka \u003c/script\u003e \\u00f8 \u2028"}'
    assert webassets._literal_unicode(page) == (
        r'{"a": "Grünerløkka \u003c/script\u003e \\u00f8 \u2028"}'
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_standalone_map_draws_in_chromium_without_network(full_map, tmp_path):
    page = tmp_path / "kart.html"
    page.write_text(webassets.standalone_html(full_map), encoding="utf-8")
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--proxy-server=127.0.0.1:9",  # any network request would fail
            "--virtual-time-budget=4000",
            "--window-size=1200,800",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    dom = result.stdout
    assert dom, result.stderr[-2000:]
    # 16 bydeler (interactive: tooltips), 9 service areas and 97 delbydeler as SVG paths,
    # the markers, both legends, the layer control and the heat map
    assert dom.count('class="oc-bydel leaflet-interactive"') == 16
    assert dom.count("<path") >= 16 + 9 + 97
    assert dom.count("oc-pin") >= 9 + 5
    assert "Tegnforklaring" in dom and "Andel innen 500 m" in dom
    assert "leaflet-control-layers" in dom and "leaflet-heatmap-layer" in dom
