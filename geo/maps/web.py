"""Interactive folium maps for the app: bydel choropleth, services, candidates, user data.

:func:`coverage_map` is a pure function of the data (no Streamlit): the app shows the page it
renders to in its map component (``ui/leaflet_map``), and :func:`geo.export.export_html` can write
it as one offline HTML file. Every script, stylesheet, font and icon is served from the project
(:func:`geo.webassets.localise`), so the map works without internet. A background map
(``tiles="osm"`` or ``"kartverket"``) is optional and only fetched when asked for; without it
(``tiles="none"``) the bydeler are drawn filled on a plain light background.

Large point sets stay responsive: markers of one layer are written as one compact data array that
a small script turns into Leaflet markers in the browser (no per-marker folium objects), layers
with more than :data:`CLUSTER_THRESHOLD` points are clustered (Leaflet.markercluster), and user
points are drawn as one heat-map canvas.

Coordinates: input in any CRS (EPSG:25832 assumed when a frame has none), drawn in EPSG:4326;
:func:`map_click_to_xy` turns a clicked point back into EPSG:25832.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import CustomPane, FitBounds
from folium.plugins import Fullscreen, HeatMap
from matplotlib.colors import to_hex

from geo import settings
from geo.analysis.privacy import USER_COUNT_COLUMNS, USER_DERIVED_COLUMNS, protect_coverage_table
from geo.data.services import located
from geo.geom import to_analysis_crs
from geo.labels import (
    CATEGORIES,
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    format_metric,
    metric_label,
    zone_words,
)
from geo.maps._leaflet import (
    ALWAYS_CLUSTERED,
    CLUSTER_THRESHOLD,
    HEAT_PANE,
    MAJOR_PX,
    MARKER_PX,
    HtmlControl,
    MapStyle,
    MarkerLayer,
    candidate_html,
    escaped_text,
    fan_offsets,
    geojson,
    map_css,
    pin_html,
    source_label,
)
from geo.maps.classes import classify, protected_classes
from geo.maps.web_candidates import candidate_layer
from geo.maps.webassets import DEFAULT_BASE_URL, localise
from geo.names import CITY_CODE
from geo.style import INK, NO_DATA_COLOUR, OSLO_PALETTE

__all__ = [
    "PLAIN_BACKGROUND",
    "TILES",
    "MapLayers",
    "MapOptions",
    "coverage_map",
]


TILES: dict[str, dict[str, Any]] = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "© OpenStreetMap-bidragsytere",
        "name": "OpenStreetMap",
        "max_native_zoom": 19,
    },
    "kartverket": {
        "url": (
            "https://cache.kartverket.no/v1/wmts/1.0.0/topograatone/default/webmercator/"
            "{z}/{y}/{x}.png"
        ),
        "attr": "© Kartverket",
        "name": "Kartverket gråtone",
        "max_native_zoom": 18,
    },
}
"""Optional background maps (fetched from the internet only when chosen)."""


PLAIN_BACKGROUND = "#e8eaed"
"""Map background without tiles: light grey, so the filled bydeler stand out."""


def _zone_layer(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame | None,
    metric: str | None,
    tiles: str,
    method: str,
    k: int,
    simplify_m: float,
) -> str | None:
    """Zone polygons (choropleth of ``metric`` when given); returns the legend HTML or None."""
    frame = zones[["zone_code", "zone", zones.geometry.name]].copy()
    one, many = zone_words(zones.attrs.get("noun"))
    legend = None
    if metric is not None:
        if table is None:
            raise ValueError("Et nøkkeltall kan bare vises sammen med en tabell (table).")
        if metric not in table.columns:
            raise ValueError(
                f"Tabellen har ikke nøkkeltallet «{metric}». Tilgjengelige: "
                + ", ".join(c for c in table.columns if c in METRIC_LABELS)
            )
        label = metric_label(
            metric, table.attrs.get("threshold_m"), table.attrs.get("weight_basis")
        )
        rows = table[table["zone_code"] != CITY_CODE].set_index("zone_code")
        values = frame["zone_code"].map(rows[metric]).to_numpy(dtype=float)
        protected = table.attrs.get("weight_basis") == "brukerdata" and (
            metric in USER_COUNT_COLUMNS or metric in USER_DERIVED_COLUMNS
        )
        classes = classify(values, metric, method, k)
        if protected:
            # never a bydel's exact small count: rounded class bounds, "<5"/":" in tooltips
            classes = protected_classes(values, metric, classes)
            shown = protect_coverage_table(table)
            shown_rows = shown[shown["zone_code"] != CITY_CODE].set_index("zone_code")
            raw = frame["zone_code"].map(shown_rows[metric])
        else:
            raw = frame["zone_code"].map(rows[metric])
        colours = [to_hex(c) for c in classes.colors()]
        frame["_fill"] = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes.index]
        frame["verdi"] = [v if isinstance(v, str) else format_metric(metric, float(v)) for v in raw]
        tooltip = folium.GeoJsonTooltip(
            ["zone", "verdi"], aliases=[one.capitalize(), label], sticky=True, labels=True
        )
        legend = _choropleth_legend(label, classes, colours, HIGHER_IS_BETTER.get(metric))
        layer_name = f"{many.capitalize()}: {label}"
        fill_opacity = 0.85 if tiles == "none" else 0.6
    else:
        frame["_fill"] = OSLO_PALETTE["beige"]
        tooltip = folium.GeoJsonTooltip(["zone"], aliases=[one.capitalize()], sticky=True)
        layer_name = many.capitalize()
        fill_opacity = 0.9 if tiles == "none" else 0.12
    columns = [c for c in ("zone_code", "zone", "verdi", "_fill") if c in frame.columns]
    data = geojson(frame, columns, simplify_m, coverage=True)
    folium.GeoJson(
        data,
        name=layer_name,
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": fill_opacity,
            "color": INK,
            "weight": 1.2,
            "className": "oc-bydel",  # lets browser tests count the bydel shapes
        },
        highlight_function=lambda f: {"weight": 3, "fillOpacity": min(1.0, fill_opacity + 0.1)},
        tooltip=tooltip,
    ).add_to(m)
    return legend


def _choropleth_legend(
    label: str, classes: Any, colours: list[str], higher_is_better: bool | None
) -> str:
    rows = [f"<h4>{html.escape(label)}</h4>"]
    for colour, text, count in zip(colours, classes.labels, classes.counts, strict=True):
        if count == 0:
            continue
        rows.append(
            f'<div class="oc-row"><span class="oc-swatch" style="background:{colour}"></span>'
            f"{html.escape(text)}</div>"
        )
    if (classes.index < 0).any():
        rows.append(
            '<div class="oc-row"><span class="oc-swatch" '
            f'style="background:{NO_DATA_COLOUR}"></span>Ingen data</div>'
        )
    note = "Mørkere farge = høyere verdi"
    if higher_is_better is not None:
        note += " (høyere er bedre)" if higher_is_better else " (lavere er bedre)"
    rows.append(f'<div class="oc-note">{note}</div>')
    return "".join(rows)


def _service_layers(
    m: folium.Map,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None,
    cluster_threshold: int,
) -> tuple[list[tuple[str, int]], int]:
    """One marker layer per category; returns ``[(slug, n shown)]`` and the number not placed."""
    wanted = list(categories) if categories is not None else list(CATEGORIES)
    chosen = services[services["category"].isin(wanted).to_numpy()]
    placed = located(chosen)
    n_unplaced = len(chosen) - len(placed)
    if placed.empty:
        return [], n_unplaced
    xy_frame = to_analysis_crs(placed)
    xy = np.column_stack([xy_frame.geometry.x.to_numpy(), xy_frame.geometry.y.to_numpy()])
    ll = xy_frame.to_crs(settings.DISPLAY_CRS).geometry
    lat, lon = np.round(ll.y.to_numpy(), 6), np.round(ll.x.to_numpy(), 6)
    cats = placed["category"].astype(str).to_numpy()
    counts = pd.Series(cats).value_counts()
    clustered = {c for c in counts.index if c in ALWAYS_CLUSTERED or counts[c] > cluster_threshold}
    sizes = np.where(cats == "brukerrom", MAJOR_PX, MARKER_PX).astype(float)
    loose = np.array([c not in clustered for c in cats])
    offsets = np.zeros((len(placed), 2))
    if loose.any():
        offsets[loose] = fan_offsets(xy[loose], sizes[loose])

    def column(name: str) -> list[Any]:
        return placed[name].tolist() if name in placed.columns else [None] * len(placed)

    names, addresses, sources = column("name"), column("address"), column("source_url")
    qualities = column("coord_quality")
    shown: list[tuple[str, int]] = []
    for slug in [c for c in wanted if c in counts.index]:
        major = slug == "brukerrom"
        label = html.escape(CATEGORIES.get(slug, slug))
        style = {
            "html": pin_html(slug, major),
            "size": MAJOR_PX if major else MARKER_PX,
            "label": label,
            "prefix": "",
            "cluster": f"oc-c-{slug}",
        }
        rows = []
        for i in np.flatnonzero(cats == slug):
            quality = str(qualities[i] or "")
            note = {
                "omtrentlig": "Omtrentlig plassering",
                "fiktiv": "FIKTIV plassering",
                "geokodet": "Plassering fra adressesøk",
                "brukeroppgitt": "Plassering oppgitt av bruker",
            }.get(quality, "")
            row: list[Any] = [
                float(lat[i]),
                float(lon[i]),
                0,
                escaped_text(names[i]) or label,
                escaped_text(addresses[i]),
                source_label(sources[i]),
                note,
            ]
            if offsets[i].any():
                row += [float(offsets[i, 0]), float(offsets[i, 1])]
            rows.append(row)
        MarkerLayer(
            rows, [style], name=f"Tilbud: {CATEGORIES.get(slug, slug)}", cluster=slug in clustered
        ).add_to(m)
        shown.append((slug, len(rows)))
    return shown, n_unplaced


def _area_layer(m: folium.Map, areas: gpd.GeoDataFrame | gpd.GeoSeries, simplify_m: float) -> bool:
    frame = to_analysis_crs(areas)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()]
    if frame.empty:
        return False
    label_col = next((c for c in ("label", "name", "navn") if c in frame.columns), None)
    columns = [label_col] if label_col else []
    data = geojson(frame, columns, min(simplify_m, 2.0))
    green = OSLO_PALETTE["green"]
    folium.GeoJson(
        data,
        name="Dekningsområde",
        style_function=lambda _f: {
            "fillColor": green,
            "fillOpacity": 0.3,
            "color": "#1d8a62",
            "weight": 1.2,
        },
        tooltip=folium.GeoJsonTooltip([label_col], labels=False) if label_col else None,
        interactive=bool(label_col),
    ).add_to(m)
    return True


def _user_layer(
    m: folium.Map, points: gpd.GeoDataFrame | gpd.GeoSeries, mode: str, cluster_threshold: int
) -> int:
    frame = located(to_analysis_crs(points))
    if frame.empty:
        return 0
    ll = frame.to_crs(settings.DISPLAY_CRS).geometry
    lat, lon = np.round(ll.y.to_numpy(), 6), np.round(ll.x.to_numpy(), 6)
    if mode == "heat":
        weights = (
            pd.to_numeric(frame["weight"], errors="coerce").fillna(1.0).to_numpy()
            if "weight" in frame.columns
            else np.ones(len(frame))
        )
        data = np.column_stack([lat, lon, weights]).tolist()
        # Leaflet draws every canvas below every SVG of a pane: the heat gets a pane of its
        # own above the bydel polygons (overlayPane, z 400) and below the markers (z 600)
        CustomPane(HEAT_PANE, z_index=450, pointer_events=False).add_to(m)
        HeatMap(
            data,
            name="Brukerdata (tetthet)",
            radius=18,
            blur=16,
            min_opacity=0.35,
            gradient={
                0.2: OSLO_PALETTE["light_blue"],
                0.45: OSLO_PALETTE["blue"],
                0.7: OSLO_PALETTE["yellow"],
                1.0: OSLO_PALETTE["red"],
            },
            pane=HEAT_PANE,
        ).add_to(m)
    elif mode == "cluster":
        rows = [[float(a), float(b), 0, "", "", "", ""] for a, b in zip(lat, lon, strict=True)]
        style = {
            "html": '<div class="oc-dot"></div>',
            "size": 10,
            "label": "",
            "prefix": "",
            "cluster": "oc-c-user",
        }
        MarkerLayer(rows, [style], name="Brukerdata (punkter)", cluster=True).add_to(m)
    else:
        raise ValueError(f"Ukjent visning av brukerdata «{mode}». Gyldige: heat, cluster.")
    return len(frame)


def _category_legend(
    shown: list[tuple[str, int]],
    n_unplaced: int,
    n_candidates: int,
    areas: bool,
    n_users: int,
    user_mode: str,
) -> str | None:

    rows = []
    for slug, count in shown:
        rows.append(
            f'<div class="oc-row"><span class="oc-key">{pin_html(slug)}</span>'
            f"{html.escape(CATEGORIES.get(slug, slug))} ({count})</div>"
        )
    if n_candidates:
        rows.append(
            f'<div class="oc-row"><span class="oc-key">{candidate_html()}</span>'
            f"Kandidatsted ({n_candidates})</div>"
        )
    if areas:
        rows.append(
            '<div class="oc-row"><span class="oc-swatch" style="background:'
            f'{OSLO_PALETTE["green"]};opacity:.6"></span>Dekningsområde</div>'
        )
    if n_users:
        text = "tetthet" if user_mode == "heat" else "punkter"
        rows.append(
            '<div class="oc-row"><span class="oc-swatch" style="background:linear-gradient(90deg,'
            f'{OSLO_PALETTE["light_blue"]},{OSLO_PALETTE["yellow"]},{OSLO_PALETTE["red"]})">'
            f"</span>Brukerdata, {text} ({n_users})</div>"
        )
    if not rows:
        return None
    notes = []
    if any(slug == "brukerrom" for slug, _ in shown):
        notes.append("Brukerrom er vist større, med ring.")
    if n_unplaced:
        notes.append(f"{n_unplaced} tilbud uten kjent plassering vises ikke.")
    note = f'<div class="oc-note">{" ".join(notes)}</div>' if notes else ""
    return "<h4>Tegnforklaring</h4>" + "".join(rows) + note


@dataclass(frozen=True)
class MapLayers:
    """What the interactive map shows (everything but the zones is optional).

    Attributes
    ----------
    zones
        Zone polygons (:attr:`geo.data.study.Study.zones`; ``zone_code``, ``zone``; ``attrs``
        ``noun`` names them: bydeler, delbydeler, soner).
    table, metric
        A per-zone table (:func:`geo.analysis.metrics.coverage_table`) and the column that colours
        the zones (light → dark blue, classes as in the print maps). The ``Hele byen`` row is not
        drawn; counts from user data are protected as in every export (:mod:`geo.analysis.privacy`).
    services
        Service registry; rows without a location are counted in the legend, not drawn.
    candidates
        Candidate sites (points with ``id``/``name``), drawn as dashed rings.
    delbydeler
        Delbydel polygons, drawn as thin outlines.
    service_areas
        Polygons (e.g. the areas within the threshold of a service), semi-transparent green.
    user_points
        Points of user data (optional ``weight`` column).
    categories
        Service categories to draw; all when ``None``.

    """

    zones: gpd.GeoDataFrame
    table: pd.DataFrame | None = None
    metric: str | None = None
    services: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    delbydeler: gpd.GeoDataFrame | None = None
    service_areas: gpd.GeoDataFrame | gpd.GeoSeries | None = None
    user_points: gpd.GeoDataFrame | gpd.GeoSeries | None = None
    categories: Sequence[str] | None = None


@dataclass(frozen=True)
class MapOptions:
    """How the interactive map is drawn.

    Attributes
    ----------
    tiles
        ``"none"`` (no background map: works offline), ``"osm"`` or ``"kartverket"``.
    height
        Height of the map element (CSS length or pixels).
    method, k
        Classification of the choropleth (``"naturalbreaks"``, ``"quantiles"``,
        ``"equalinterval"``) and number of classes.
    user_points_as
        ``"heat"`` (a heat map) or ``"cluster"`` (clustered dots).
    cluster_threshold
        Categories with more services than this are clustered (sprøytebokser always).
    fullscreen
        Add a full-screen button.
    simplify_m
        Tolerance in metres for simplifying the boundaries sent to the browser (0 = exact).
    local_assets, asset_base_url
        Point every script/stylesheet at the vendored copies (:func:`geo.maps.webassets.localise`).

    """

    tiles: str = "none"
    height: int | str = "100%"
    method: str = "naturalbreaks"
    k: int = 5
    user_points_as: str = "heat"
    cluster_threshold: int = CLUSTER_THRESHOLD
    fullscreen: bool = True
    simplify_m: float = 5.0
    local_assets: bool = True
    asset_base_url: str = DEFAULT_BASE_URL


_USED_MAP_JS = ("leaflet",)
_USED_MAP_CSS = ("leaflet_css", "awesome_markers_font_css")
"""Which of ``folium.Map``'s default scripts and stylesheets the map uses (by folium's names)."""


def coverage_map(layers: MapLayers, options: MapOptions = MapOptions()) -> folium.Map:
    """The app's interactive map of Oslo: bydeler, services, candidates and user data.

    Every layer is one argument of ``layers`` (:class:`MapLayers`), every drawing choice one of
    ``options`` (:class:`MapOptions`). Services get one marker per located service, coloured and
    with an icon per category (:data:`geo.style.CATEGORY_STYLE`); brukerrom larger and ringed.

    Returns
    -------
    folium.Map
        Fitted to the bydeler; with a layer control and legends (bokmål).

    """
    zones, table, metric, services = layers.zones, layers.table, layers.metric, layers.services
    candidates, delbydeler, categories = layers.candidates, layers.delbydeler, layers.categories
    service_areas, user_points = layers.service_areas, layers.user_points
    tiles, method, k, simplify_m = options.tiles, options.method, options.k, options.simplify_m
    user_points_as, cluster_threshold = options.user_points_as, options.cluster_threshold
    if tiles not in ("none", *TILES):
        raise ValueError(
            f"Ukjent bakgrunnskart «{tiles}». Gyldige: none (uten bakgrunnskart), osm, kartverket."
        )
    if user_points_as not in ("heat", "cluster"):
        raise ValueError(
            f"Ukjent visning av brukerdata «{user_points_as}». Gyldige: heat, cluster."
        )
    # on the map itself (folium passes min_zoom/max_zoom only to a tile layer);
    # Leaflet.markercluster needs the map's maxZoom
    zoom_limits: dict[str, Any] = {"minZoom": 8, "maxZoom": 19}
    shapes = to_analysis_crs(zones).to_crs(settings.DISPLAY_CRS)
    minx, miny, maxx, maxy = shapes.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        height=options.height,
        **zoom_limits,
    )
    # the markers are the map's own (divIcon + Font Awesome): folium's jQuery, Bootstrap and
    # awesome-markers are never used, and the browser would fetch and parse ~0.5 MB for them
    m.default_js = [js for js in m.default_js if js[0] in _USED_MAP_JS]
    m.default_css = [css for css in m.default_css if css[0] in _USED_MAP_CSS]
    if tiles != "none":
        spec = TILES[tiles]
        folium.TileLayer(
            spec["url"],
            attr=spec["attr"],
            name=spec["name"],
            max_native_zoom=spec["max_native_zoom"],
            max_zoom=19,
            control=False,
        ).add_to(m)

    slugs = list(CATEGORIES)
    MapStyle(map_css(slugs), None if tiles != "none" else PLAIN_BACKGROUND).add_to(m)

    legend = _zone_layer(m, zones, table, metric, tiles, method, k, simplify_m)
    has_areas = service_areas is not None and _area_layer(m, service_areas, simplify_m)
    if delbydeler is not None and len(delbydeler):
        folium.GeoJson(
            geojson(
                delbydeler[["delbydel", delbydeler.geometry.name]],
                ["delbydel"],
                simplify_m,
                coverage=True,
            ),
            name="Delbydeler",
            style_function=lambda _f: {
                "fill": False,
                "color": INK,
                "weight": 0.8,
                "opacity": 0.7,
                "dashArray": "4 3",
            },
            interactive=False,
        ).add_to(m)
    n_users = (
        _user_layer(m, user_points, user_points_as, cluster_threshold)
        if user_points is not None
        else 0
    )
    shown: list[tuple[str, int]] = []
    n_unplaced = 0
    if services is not None and len(services):
        shown, n_unplaced = _service_layers(m, services, categories, cluster_threshold)
    n_candidates = candidate_layer(m, candidates) if candidates is not None else 0

    if legend:
        HtmlControl(legend, "bottomleft").add_to(m)
    key = _category_legend(shown, n_unplaced, n_candidates, has_areas, n_users, user_points_as)
    if key:
        HtmlControl(key, "bottomright").add_to(m)
    if options.fullscreen:
        Fullscreen(
            position="topleft", title="Fullskjerm", title_cancel="Avslutt fullskjerm"
        ).add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    fit = FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False  # straight to Oslo: no zoom animation on first draw
    fit.add_to(m)
    if options.local_assets:
        localise(m, base_url=options.asset_base_url)
    return m
