"""The app's folium map (geo.maps) on the real Oslo data."""

from __future__ import annotations

import re
import time

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.plugins import HeatMap
from matplotlib.colors import to_rgb

from geo import maps
from geo.analysis.metrics import coverage_table, spread_user_data
from geo.data.services import load_candidates, located
from geo.geom import map_click_to_xy
from geo.labels import CATEGORIES, format_metric
from geo.maps._leaflet import HEAT_PANE, HtmlControl, MapStyle, MarkerLayer
from geo.maps.classes import classify
from geo.maps.web import MapLayers, MapOptions
from geo.style import CANDIDATE_ICON, CATEGORY_STYLE, OSLO_PALETTE


@pytest.fixture(scope="module")
def table(study):
    return coverage_table(study, ["brukerrom"], threshold_m=500)


@pytest.fixture(scope="module")
def candidates():
    return load_candidates("data/candidates_example.csv").frame


def _layers(m, kind=None):
    out = [child for child in m._children.values() if kind is None or isinstance(child, kind)]
    return out


def _geojson(m, prefix):
    found = [g for g in _layers(m, folium.GeoJson) if g.layer_name.startswith(prefix)]
    assert len(found) == 1, [g.layer_name for g in _layers(m, folium.GeoJson)]
    return found[0]


def _marker_layers(m, prefix=""):
    return [layer for layer in _layers(m, MarkerLayer) if layer.layer_name.startswith(prefix)]


def _legend_html(m):
    return " ".join(c.html for c in _layers(m, HtmlControl))


def _fiktive_points(zones, n, seed=0):
    """n FIKTIVE points spread uniformly over Oslo's bydeler (EPSG:25832), for load tests."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = zones.total_bounds
    city = zones.union_all()
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < n:
        x, y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        inside = shapely.contains_xy(city, x, y)
        xs, ys = np.concatenate([xs, x[inside]]), np.concatenate([ys, y[inside]])
    return gpd.points_from_xy(xs[:n], ys[:n], crs="EPSG:25832")


# ---------------------------------------------------------------------- constants
def test_palette_and_category_icons_match_the_print_maps():
    assert OSLO_PALETTE == {
        "dark_blue": "#2a2859",
        "blue": "#6fe9ff",
        "light_blue": "#b3f5ff",
        "green": "#43f8b6",
        "light_green": "#c7fde9",
        "yellow": "#f9c66b",
        "red": "#ff8274",
        "beige": "#f8f0dd",
    }
    assert OSLO_PALETTE == OSLO_PALETTE
    assert set(CATEGORY_STYLE) == set(CATEGORIES)
    # where two categories share a colour, both the print marker and the web icon differ
    icons: dict[str, set[str]] = {}
    markers: dict[str, set[str]] = {}
    for style in CATEGORY_STYLE.values():
        assert style.icon not in icons.get(style.colour, set())
        assert style.marker not in markers.get(style.colour, set())
        icons.setdefault(style.colour, set()).add(style.icon)
        markers.setdefault(style.colour, set()).add(style.marker)


def test_category_icons_exist_in_the_vendored_font_awesome():
    from geo.maps.webassets import static_dir

    css = (static_dir() / "fontawesome-free" / "css" / "all.min.css").read_text()
    for style in CATEGORY_STYLE.values():
        assert f".fa-{style.icon}:before" in css, style.icon
    assert f".fa-{CANDIDATE_ICON}:before" in css


def test_map_click_to_xy_inverts_the_display_projection(study):
    row = study.services.set_index("id").loc["brukerrom-oslo"]
    x, y = map_click_to_xy(59.91573563125075, 10.756875795973647)
    assert x == pytest.approx(row.geometry.x, abs=0.01)
    assert y == pytest.approx(row.geometry.y, abs=0.01)
    assert 590_000 < x < 610_000 and 6_630_000 < y < 6_660_000


# ---------------------------------------------------------------------- bydeler and choropleth
def test_all_16_bydeler_are_drawn_sentrum_included(zones):
    m = maps.coverage_map(MapLayers(zones))
    features = _geojson(m, "Bydeler").data["features"]
    assert len(features) == 16
    names = {f["properties"]["zone"] for f in features}
    assert "Sentrum" in names and "Søndre Nordstrand" in names and "Hele byen" not in names
    lon, lat = np.array(
        [pt for f in features for ring in f["geometry"]["coordinates"] for pt in ring]
    ).T
    assert 10.4 < lon.min() < lon.max() < 11.0 and 59.7 < lat.min() < lat.max() < 60.2


def test_choropleth_colours_follow_the_classes(zones, table):
    metric = "median_distance_m"
    m = maps.coverage_map(MapLayers(zones, table=table, metric=metric))
    features = _geojson(m, "Bydeler").data["features"]
    values = table.set_index("zone_code")[metric]
    fills = {f["properties"]["zone_code"]: f["properties"]["_fill"] for f in features}
    lowest, highest = values.drop("0301").idxmin(), values.drop("0301").idxmax()
    assert fills[lowest] != fills[highest]
    classes = classify(values.loc[list(fills)].to_numpy(), metric)
    assert len(set(fills.values())) == sum(1 for c in classes.counts if c)
    # the darkest class is the highest value (light → dark blue)
    dark = to_rgb(fills[highest])
    light = to_rgb(fills[lowest])
    assert sum(dark) < sum(light)
    # tooltip: bydel name and the formatted value
    verdi = {f["properties"]["zone"]: f["properties"]["verdi"] for f in features}
    sentrum = table.set_index("zone")[metric]["Sentrum"]
    assert verdi["Sentrum"] == format_metric(metric, sentrum)
    tooltip = next(iter(_geojson(m, "Bydeler")._children.values()))
    assert tooltip.fields == ["zone", "verdi"]
    assert tooltip.aliases == ["Bydel", "Medianavstand (m)"]


def test_choropleth_legend_names_metric_and_classes(zones, table):
    m = maps.coverage_map(MapLayers(zones, table=table, metric="share_within_threshold"))
    legend = _legend_html(m)
    assert "Andel innen 500 m" in legend
    classes = classify(
        zones["zone_code"].map(table.set_index("zone_code")["share_within_threshold"]),
        "share_within_threshold",
    )
    for label, count in zip(classes.labels, classes.counts, strict=True):
        if count:
            assert label in legend
    assert "Hele byen" not in legend
    assert "høyere er bedre" in legend


def test_user_counts_are_protected_in_tooltips_and_legend(study):
    user = pd.DataFrame({"bydel_code": ["030101", "030102", "030103"], "visits": [3, 12, 40]})
    weights = spread_user_data(study.demand, user, "visits", kind="aggregate")
    user_table = coverage_table(study, weights=weights)
    m = maps.coverage_map(MapLayers(study.zones, table=user_table, metric="population"))
    verdi = {
        f["properties"]["zone"]: f["properties"]["verdi"]
        for f in _geojson(m, "Bydeler").data["features"]
    }
    assert verdi["Gamle Oslo"] == "<5" and verdi["Grünerløkka"] == ":"
    assert verdi["Sagene"] == "40"
    legend = _legend_html(m)
    assert "Brukere/besøk (vekt)" in legend and "&lt;5 – 40" in legend  # rounded bounds


def test_bad_metric_and_tiles_give_clear_messages(zones, table):
    with pytest.raises(ValueError, match="nøkkeltallet"):
        maps.coverage_map(MapLayers(zones, table=table, metric="finnes_ikke"))
    with pytest.raises(ValueError, match="tabell"):
        maps.coverage_map(MapLayers(zones, table=None, metric="population"))
    with pytest.raises(ValueError, match="bakgrunnskart"):
        maps.coverage_map(MapLayers(zones), MapOptions(tiles="google"))


def test_frame_without_crs_is_taken_as_analysis_crs(zones):
    bare = gpd.GeoDataFrame(zones[["zone_code", "zone"]], geometry=list(zones.geometry))
    assert bare.crs is None
    features = _geojson(maps.coverage_map(MapLayers(bare)), "Bydeler").data["features"]
    lon, lat = features[0]["geometry"]["coordinates"][0][0]
    assert 10.4 < lon < 11.0 and 59.7 < lat < 60.2


# ---------------------------------------------------------------------- tiles
def test_no_tiles_means_plain_background_and_filled_bydeler(zones):
    m = maps.coverage_map(MapLayers(zones))
    assert not _layers(m, folium.TileLayer)
    style = _layers(m, MapStyle)[0]
    assert style.background == maps.PLAIN_BACKGROUND
    html = m.get_root().render()
    assert f'style.background = "{maps.PLAIN_BACKGROUND}"' in html
    assert '"fillOpacity": 0.9' in html and "tile.openstreetmap.org" not in html


@pytest.mark.parametrize(
    ("tiles", "url_part", "attribution"),
    [
        ("osm", "tile.openstreetmap.org", "© OpenStreetMap-bidragsytere"),
        ("kartverket", "cache.kartverket.no/v1/wmts/1.0.0/topograatone/", "© Kartverket"),
    ],
)
def test_tiles_on_request_with_attribution(zones, tiles, url_part, attribution):
    m = maps.coverage_map(MapLayers(zones), MapOptions(tiles=tiles))
    (layer,) = _layers(m, folium.TileLayer)
    assert url_part in layer.tiles
    assert layer.options["attribution"] == attribution
    assert _layers(m, MapStyle)[0].background is None


# ---------------------------------------------------------------------- services
def test_one_marker_per_located_service(study):
    services = study.services
    m = maps.coverage_map(MapLayers(study.zones, services=services))
    layers = _marker_layers(m, "Tilbud:")
    placed = located(services)
    assert sum(len(layer.rows) for layer in layers) == len(placed)
    by_layer = {layer.layer_name: len(layer.rows) for layer in layers}
    for slug, count in placed["category"].value_counts().items():
        assert by_layer[f"Tilbud: {CATEGORIES[slug]}"] == count
    names = {row[3] for layer in layers for row in layer.rows}
    assert "Brukerrommet, Prindsen mottakssenter" in names
    assert '"Brukerrommet, Prindsen mottakssenter"' in m.get_root().render()


def test_service_tooltips_carry_category_address_and_source(study):
    m = maps.coverage_map(MapLayers(study.zones, services=study.services))
    (layer,) = _marker_layers(m, "Tilbud: Brukerrom")
    (row,) = layer.rows
    assert row[3] == "Brukerrommet, Prindsen mottakssenter"
    assert row[4] == "Hausmanns gate 11"
    assert row[5] == "erlik.no"
    assert layer.styles[0]["label"] == "Brukerrom"
    assert "oc-major" in layer.styles[0]["html"]  # existing brukerrom: larger, ringed
    others = [lay for lay in _marker_layers(m, "Tilbud:") if lay is not layer]
    assert all("oc-major" not in lay.styles[0]["html"] for lay in others)
    assert "fa-house-medical" in layer.styles[0]["html"]


def test_services_at_one_address_are_fanned_out(study):
    m = maps.coverage_map(MapLayers(study.zones, services=study.services))
    rows = [row for layer in _marker_layers(m, "Tilbud:") for row in layer.rows]
    at_prindsen = [row for row in rows if row[4] == "Hausmanns gate 11"]
    assert len(at_prindsen) >= 2
    offsets = {tuple(row[7:9]) for row in at_prindsen}
    assert len(offsets) == len(at_prindsen)  # every one has its own spot on the ring
    radii = {round(float(np.hypot(*o)), 1) for o in offsets}
    assert len(radii) == 1 and radii.pop() >= 14
    # the registry's coordinates are unchanged (the offset is in screen pixels only)
    assert {(row[0], row[1]) for row in at_prindsen} == {(59.915736, 10.756876)}


def test_legend_lists_only_the_categories_shown(study):
    shown = ["brukerrom", "moteplass", "sproyteboks"]  # no sprøyteboks has a location
    m = maps.coverage_map(MapLayers(study.zones, services=study.services, categories=shown))
    legend = _legend_html(m)
    assert "Tegnforklaring" in legend
    assert "Brukerrom (1)" in legend
    n_moteplass = int((located(study.services)["category"] == "moteplass").sum())
    assert f"Møteplass/aktivitetshus ({n_moteplass})" in legend
    for slug in set(CATEGORIES) - {"brukerrom", "moteplass"}:
        assert CATEGORIES[slug] not in legend
    all_shown = _legend_html(maps.coverage_map(MapLayers(study.zones, services=study.services)))
    for slug in located(study.services)["category"].unique():
        assert CATEGORIES[slug] in all_shown
    unplaced = len(study.services) - len(located(study.services))
    assert f"{unplaced} tilbud uten kjent plassering vises ikke" in all_shown


def test_sproyteboks_are_clustered(zones):
    points = _fiktive_points(zones, 40, seed=3)
    boxes = gpd.GeoDataFrame(
        {
            "name": [f"FIKTIV sprøyteboks {i}" for i in range(40)],
            "category": "sproyteboks",
            "address": "",
            "source_url": "",
            "coord_quality": "fiktiv",
        },
        geometry=points,
    )
    m = maps.coverage_map(MapLayers(zones, services=boxes))
    (layer,) = _marker_layers(m, "Tilbud: Sprøyteboks")
    assert layer.cluster and len(layer.rows) == 40
    assert all(len(row) == 7 for row in layer.rows)  # clustered: no fan-out offsets
    html = m.get_root().render()
    assert "L.markerClusterGroup(" in html and "leaflet.markercluster.js" in html
    assert "FIKTIV plassering" in html


# ---------------------------------------------------------------------- other layers
def test_candidates_appear_in_their_own_style(zones, candidates):
    m = maps.coverage_map(MapLayers(zones, candidates=candidates))
    (layer,) = _marker_layers(m, "Kandidatsteder")
    assert len(layer.rows) == len(candidates)
    assert layer.styles[0]["prefix"] == "Kandidat: "
    assert "oc-cand" in layer.styles[0]["html"]
    names = [row[3] for row in layer.rows]
    assert "FIKTIV eksempel – ved Grorud T-banestasjon" in names
    assert "border:3px dashed" in m.get_root().render()
    assert f"Kandidatsted ({len(candidates)})" in _legend_html(m)


def test_delbydeler_service_areas_and_user_points(study, delbydeler):
    placed = located(study.services)
    areas = gpd.GeoDataFrame(
        {"label": placed["name"].to_numpy()}, geometry=placed.buffer(500).to_numpy(), crs=placed.crs
    )
    users = gpd.GeoSeries(_fiktive_points(study.zones, 200, seed=5))
    m = maps.coverage_map(
        MapLayers(study.zones, delbydeler=delbydeler, service_areas=areas, user_points=users)
    )
    outlines = _geojson(m, "Delbydeler")
    assert len(outlines.data["features"]) == len(delbydeler) == 97
    assert outlines.options["interactive"] is False  # bydel tooltips stay reachable
    area_layer = _geojson(m, "Dekningsområde")
    assert len(area_layer.data["features"]) == len(placed)
    assert area_layer.style_function(None)["fillOpacity"] < 0.5
    (heat,) = _layers(m, HeatMap)
    assert len(heat.data) == 200 and heat.options["pane"] == HEAT_PANE
    legend = _legend_html(m)
    assert "Dekningsområde" in legend and "Brukerdata, tetthet (200)" in legend
    names = [c.layer_name for c in _layers(m) if hasattr(c, "layer_name")]
    assert names.index("Bydeler") < names.index("Dekningsområde") < names.index("Delbydeler")
    assert _layers(m, folium.LayerControl)


def test_user_points_as_cluster(zones):
    users = gpd.GeoDataFrame(geometry=_fiktive_points(zones, 50, seed=7))
    m = maps.coverage_map(MapLayers(zones, user_points=users), MapOptions(user_points_as="cluster"))
    (layer,) = _marker_layers(m, "Brukerdata")
    assert layer.cluster and len(layer.rows) == 50
    with pytest.raises(ValueError, match="brukerdata"):
        maps.coverage_map(MapLayers(zones, user_points=users), MapOptions(user_points_as="hexbin"))


def test_local_assets_by_default_and_on_request(zones):
    local = maps.coverage_map(MapLayers(zones)).get_root().render()
    assert 'src="/app/static/vendor/leaflet/leaflet.js"' in local
    assert "cdn.jsdelivr.net" not in local
    remote = maps.coverage_map(MapLayers(zones), MapOptions(local_assets=False)).get_root().render()
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in remote
    custom = (
        maps.coverage_map(MapLayers(zones), MapOptions(asset_base_url="/x/vendor"))
        .get_root()
        .render()
    )
    assert 'src="/x/vendor/leaflet/leaflet.js"' in custom


def test_5000_points_stay_compact(study):
    points = _fiktive_points(study.zones, 5000, seed=11)
    cats = np.array(["sproyteboks", "moteplass", "helsetilbud", "lasso"])[np.arange(5000) % 4]
    services = gpd.GeoDataFrame(
        {
            "name": [f"FIKTIV testpunkt {i}" for i in range(5000)],
            "category": cats,
            "address": "FIKTIV adresse",
            "source_url": "",
            "coord_quality": "fiktiv",
        },
        geometry=points,
    )
    start = time.perf_counter()
    m = maps.coverage_map(
        MapLayers(study.zones, services=services, user_points=gpd.GeoSeries(points))
    )
    html = m.get_root().render()
    seconds = time.perf_counter() - start
    print(f"\n5 000 services + 5 000 user points: {seconds:.2f} s, {len(html) / 1e6:.2f} MB HTML")
    layers = _marker_layers(m, "Tilbud:")
    assert sum(len(layer.rows) for layer in layers) == 5000
    assert all(layer.cluster for layer in layers)  # > CLUSTER_THRESHOLD each
    # one folium element per layer, not one per point
    assert len(list(m._children)) < 30
    assert len(re.findall(r"L\.marker\(", html)) == len(layers)  # one loop per layer
    assert len(html) < 5_000_000
    assert seconds < 60
