"""Interactive folium maps for the app: bydel choropleth, services, candidates, user data.

:func:`coverage_map` is a pure function of the data (no Streamlit): the app passes its result to
``streamlit_folium.st_folium``, and :func:`geo.export.export_html` can write it as one offline
HTML file. Every script, stylesheet, font and icon is served from the project
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

import functools
import html
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.elements import JSCSSMixin
from folium.map import CustomPane, FitBounds, Layer
from folium.plugins import Fullscreen, HeatMap, MarkerCluster
from folium.template import Template
from matplotlib.colors import to_hex
from pyproj import Transformer

from geo import settings, webassets
from geo.cartography import OSLO_PALETTE  # one palette for web and print maps

INK = OSLO_PALETTE["dark_blue"]

CATEGORY_ICONS: dict[str, tuple[str, str]] = {
    "brukerrom": (OSLO_PALETTE["red"], "house-medical"),
    "sproyteutdeling": (OSLO_PALETTE["yellow"], "syringe"),
    "sproyteboks": (OSLO_PALETTE["yellow"], "box"),
    "helsetilbud": (OSLO_PALETTE["green"], "kit-medical"),
    "lasso": (OSLO_PALETTE["blue"], "prescription-bottle-medical"),
    "rusmiddelanalyse": (OSLO_PALETTE["light_blue"], "flask"),
    "moteplass": (OSLO_PALETTE["dark_blue"], "mug-hot"),
    "overnatting": (OSLO_PALETTE["light_green"], "bed"),
    "oppsokende": (OSLO_PALETTE["blue"], "person-walking"),
    "annet": (OSLO_PALETTE["beige"], "circle-info"),
}
"""Marker colour (as in :data:`geo.cartography.CATEGORY_STYLE`) and Font Awesome 6 solid icon per
category; where two categories share a colour the icon tells them apart."""

CANDIDATE_ICON = "plus"
CLUSTER_THRESHOLD = 300
"""Layers with more points than this are clustered (``sproyteboks`` always is)."""
ALWAYS_CLUSTERED = ("sproyteboks",)

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
NO_DATA_COLOUR = "#bdbdbd"
MARKER_PX = 26
MAJOR_PX = 36

HEAT_PANE = "ocHeat"
_GROUP_RADIUS_M = 3.0
"""Markers closer than this (same address) are fanned out on a small ring in screen pixels."""


# ---------------------------------------------------------------------- small folium elements
class _MapStyle(JSCSSMixin):
    """The map's own CSS (markers, legends), a metric scale bar and a plain background.

    Without tiles the background colour is set on the map's container, so that it wins over
    leaflet.css whatever order the stylesheets load in.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
            {%- if this.background %}
            {{ this._parent.get_name() }}.getContainer().style.background = {{ this.background|tojson }};
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, css: str, background: str | None = None):
        super().__init__()
        self._name = "MapStyle"
        self.css = css
        self.background = background


class _HtmlControl(JSCSSMixin):
    """A Leaflet control holding static HTML (the legends)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright", css_class: str = "oc-legend"):
        super().__init__()
        self._name = "HtmlControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class


class _MarkerLayer(JSCSSMixin, Layer):
    """Many markers as one data array, built into Leaflet markers in the browser.

    Each row is ``[lat, lon, style, name, address, source, note, dx, dy]`` (text already
    HTML-escaped; ``dx``/``dy`` an optional screen offset in pixels for markers that share an
    address). ``styles`` holds the icon HTML and size per style index. With ``cluster=True`` the
    markers go into a ``L.markerClusterGroup`` (Leaflet.markercluster, vendored).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var styles = {{ this.styles|tojson }};
                var rows = {{ this.rows|tojson }};
                {%- if this.cluster %}
                var options = {{ this.cluster_options|tojson }};
                options.iconCreateFunction = function (cluster) {
                    var n = cluster.getChildCount(), size = n < 10 ? 30 : n < 100 ? 36 : 42;
                    return L.divIcon({
                        className: "oc-icon", iconSize: [size, size],
                        html: '<div class="oc-cluster ' + styles[0].cluster + '"><span>' + n
                            + "</span></div>"
                    });
                };
                var layer = L.markerClusterGroup(options);
                {%- else %}
                var layer = L.featureGroup();
                {%- endif %}
                var markers = [];
                for (var i = 0; i < rows.length; i++) {
                    var r = rows[i], s = styles[r[2]], half = s.size / 2;
                    var dx = r[7] || 0, dy = r[8] || 0, extra = "";
                    if (dx || dy) {
                        var len = Math.sqrt(dx * dx + dy * dy);
                        var angle = Math.atan2(dy, dx) * 180 / Math.PI;
                        extra = '<span class="oc-leader" style="left:' + (half - dx) + 'px;top:'
                            + (half - dy) + 'px;width:' + len + 'px;transform:rotate(' + angle
                            + 'deg)"></span><span class="oc-anchor" style="left:' + (half - dx - 3)
                            + 'px;top:' + (half - dy - 3) + 'px"></span>';
                    }
                    var icon = L.divIcon({
                        className: "oc-icon", html: extra + s.html,
                        iconSize: [s.size, s.size], iconAnchor: [half - dx, half - dy],
                        tooltipAnchor: [0, -half]
                    });
                    var marker = L.marker([r[0], r[1]], {icon: icon, riseOnHover: true});
                    if (r[3]) {
                        var tip = "<b>" + s.prefix + r[3] + "</b>";
                        if (s.label) { tip += "<br>" + s.label; }
                        if (r[4]) { tip += "<br>" + r[4]; }
                        if (r[5]) { tip += "<br>Kilde: " + r[5]; }
                        if (r[6]) { tip += "<br><i>" + r[6] + "</i>"; }
                        marker.bindTooltip(tip, {direction: "top"});
                    }
                    markers.push(marker);
                }
                {%- if this.cluster %}
                layer.addLayers(markers);
                {%- else %}
                for (var j = 0; j < markers.length; j++) { layer.addLayer(markers[j]); }
                {%- endif %}
                layer.addTo({{ this._parent.get_name() }});
                return layer;
            })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: list[list[Any]],
        styles: list[dict[str, Any]],
        name: str,
        cluster: bool = False,
        show: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "MarkerLayer"
        self.rows = rows
        self.styles = styles
        self.cluster = cluster
        self.cluster_options = {
            "showCoverageOnHover": False,
            "maxClusterRadius": 50,
            "chunkedLoading": True,
        }
        # instance-level, so only clustered layers pull in Leaflet.markercluster
        self.default_js = list(MarkerCluster.default_js) if cluster else []
        self.default_css = list(MarkerCluster.default_css) if cluster else []


# ---------------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=1)
def _to_xy() -> Transformer:
    return Transformer.from_crs(settings.DISPLAY_CRS, settings.ANALYSIS_CRS, always_xy=True)


def map_click_to_xy(lat: float, lon: float) -> tuple[float, float]:
    """A clicked map point (WGS84 latitude, longitude) in EPSG:25832 metres ``(x, y)``."""
    x, y = _to_xy().transform(float(lon), float(lat))
    return float(x), float(y)


def _analysis(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:25832 (a frame without CRS is taken to be EPSG:25832)."""
    gdf = frame.to_frame(name="geometry") if isinstance(frame, gpd.GeoSeries) else frame
    gdf = gpd.GeoDataFrame(gdf, geometry=gdf.geometry.name, crs=gdf.crs)
    if gdf.crs is None:
        return gdf.set_crs(settings.ANALYSIS_CRS)
    return gdf.to_crs(settings.ANALYSIS_CRS)


def _round_coords(geoms: np.ndarray, decimals: int = 6) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _geojson(
    frame: gpd.GeoDataFrame, columns: Sequence[str], simplify_m: float, coverage: bool = False
) -> dict[str, Any]:
    """Features of ``frame`` with ``columns`` as properties, simplified, in EPSG:4326.

    Coordinates are rounded to 6 decimals (about 0.1 m). A ``coverage`` (bydeler, delbydeler)
    is simplified with shared edges kept identical (:func:`shapely.coverage_simplify`).
    """
    gdf = _analysis(frame)
    geoms = gdf.geometry.to_numpy()
    if simplify_m > 0:
        try:
            if not coverage:
                raise ValueError
            geoms = shapely.coverage_simplify(geoms, simplify_m)
        except Exception:  # not a valid coverage: simplify each shape on its own
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    shown = gpd.GeoDataFrame(
        gdf[list(columns)].reset_index(drop=True),
        geometry=gpd.GeoSeries(geoms, crs=settings.ANALYSIS_CRS).to_crs(settings.DISPLAY_CRS),
    )
    shown["geometry"] = _round_coords(shown.geometry.to_numpy())
    return json.loads(shown.to_json(drop_id=False))


def _text(value: Any) -> str:
    """HTML-escaped text of a cell ("" for missing)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none") else html.escape(text)


def _source_label(url: Any) -> str:
    """The host of a source URL (``erlik.no``), escaped."""
    text = _text(url)
    if not text:
        return ""
    host = urlparse(html.unescape(text)).netloc
    return html.escape(host.removeprefix("www.")) if host else text


def _glyph_colour(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else INK


def _pin_html(slug: str, major: bool = False) -> str:
    icon = CATEGORY_ICONS.get(slug, CATEGORY_ICONS["annet"])[1]
    extra = " oc-major" if major else ""
    return f'<div class="oc-pin oc-c-{slug}{extra}"><i class="fa-solid fa-{icon}"></i></div>'


def _candidate_html() -> str:
    return f'<div class="oc-pin oc-cand"><i class="fa-solid fa-{CANDIDATE_ICON}"></i></div>'


def _css(slugs: Sequence[str]) -> str:
    rules = [
        ".oc-icon{background:none;border:none}",
        ".oc-pin{box-sizing:border-box;width:100%;height:100%;border-radius:50%;"
        f"border:2px solid {INK};display:flex;align-items:center;justify-content:center;"
        "position:relative;box-shadow:0 1px 3px rgba(0,0,0,.45)}",
        ".oc-pin i{font-size:12px;line-height:1}",
        f".oc-major{{border-width:3px;box-shadow:0 0 0 3px #fff,0 0 0 5px {INK},"
        "0 2px 6px rgba(0,0,0,.45)}",
        ".oc-major i{font-size:16px}",
        f".oc-cand{{background:#fff;border:3px dashed {INK};color:{INK}}}",
        f".oc-anchor{{position:absolute;width:6px;height:6px;border-radius:50%;background:{INK}}}",
        f".oc-leader{{position:absolute;height:0;border-top:1.5px solid {INK};"
        "transform-origin:0 0}",
        ".oc-cluster{box-sizing:border-box;width:100%;height:100%;border-radius:50%;"
        f"border:2px solid {INK};display:flex;align-items:center;justify-content:center;"
        "font:bold 12px 'Helvetica Neue',Arial,sans-serif;"
        "box-shadow:0 0 0 4px rgba(255,255,255,.65),0 1px 4px 4px rgba(0,0,0,.25)}",
        f".oc-c-user{{background:{OSLO_PALETTE['red']};color:{INK}}}",
        ".oc-dot{box-sizing:border-box;width:100%;height:100%;border-radius:50%;"
        f"background:{OSLO_PALETTE['red']};border:1px solid {INK}}}",
        ".oc-legend{background:rgba(255,255,255,.94);padding:8px 10px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.35 'Helvetica Neue',Arial,sans-serif;"
        f"color:{INK};max-width:260px}}",
        ".oc-legend h4{margin:0 0 5px;font-size:13px;font-weight:bold;color:inherit}",
        ".oc-legend .oc-row{display:flex;align-items:center;gap:7px;margin:3px 0}",
        f".oc-legend .oc-swatch{{width:20px;height:13px;flex:none;border:1px solid {INK}}}",
        ".oc-legend .oc-key{width:20px;height:20px;flex:none}",
        ".oc-legend .oc-key .oc-pin i{font-size:10px}",
        ".oc-legend .oc-note{margin-top:5px;font-size:11px;opacity:.85}",
        f".leaflet-control-layers{{font:13px/1.4 'Helvetica Neue',Arial,sans-serif;color:{INK}}}",
        ".leaflet-control-layers label{margin:0}",
        f".leaflet-tooltip{{font:12px/1.35 'Helvetica Neue',Arial,sans-serif;color:{INK}}}",
    ]
    for slug in slugs:
        fill = CATEGORY_ICONS.get(slug, CATEGORY_ICONS["annet"])[0]
        rules.append(f".oc-c-{slug}{{background:{fill};color:{_glyph_colour(fill)}}}")
    return "".join(rules)


def _fan_offsets(xy: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    r"""Screen offsets (px) that spread markers sharing an address on a ring around it.

    Markers closer than :data:`_GROUP_RADIUS_M` form a group; a group of :math:`g` markers is
    placed on a circle of radius :math:`\max(14, (s + 2) / (2 \sin(\pi / g)))` pixels, where
    :math:`s` is the largest marker in the group, starting at the top and going clockwise.
    """
    offsets = np.zeros((len(xy), 2))
    if len(xy) < 2:
        return offsets
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(_GROUP_RADIUS_M, output_type="ndarray")
    if len(pairs) == 0:
        return offsets
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy),) * 2)
    _, labels = connected_components(graph, directed=False)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        g = len(members)
        if g < 2:
            continue
        radius = max(14.0, (sizes[members].max() + 2) / (2 * np.sin(np.pi / g)))
        angles = -np.pi / 2 + 2 * np.pi * np.arange(g) / g
        offsets[members, 0] = np.round(radius * np.cos(angles), 1)
        offsets[members, 1] = np.round(radius * np.sin(angles), 1)
    return offsets


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = frame.geometry
    mask = ~(geoms.isna() | geoms.is_empty).to_numpy()
    return frame[mask]


# ---------------------------------------------------------------------- layers
def _bydel_layer(
    m: folium.Map,
    bydeler: gpd.GeoDataFrame,
    table: pd.DataFrame | None,
    metric: str | None,
    tiles: str,
    method: str,
    k: int,
    simplify_m: float,
) -> str | None:
    """Bydel polygons (choropleth of ``metric`` when given); returns the legend HTML or None."""
    from geo import cartography as carto
    from geo.metrics import HIGHER_IS_BETTER, METRIC_LABELS
    from geo.names import CITY_CODE
    from geo.privacy import USER_COUNT_COLUMNS, USER_DERIVED_COLUMNS, protect_coverage_table

    frame = bydeler[["bydel_code", "bydel", bydeler.geometry.name]].copy()
    legend = None
    if metric is not None:
        if table is None:
            raise ValueError("Et nøkkeltall kan bare vises sammen med en tabell (table).")
        if metric not in table.columns:
            raise ValueError(
                f"Tabellen har ikke nøkkeltallet «{metric}». Tilgjengelige: "
                + ", ".join(c for c in table.columns if c in METRIC_LABELS)
            )
        label = carto.metric_label(
            metric, table.attrs.get("threshold_m"), table.attrs.get("weight_basis")
        )
        rows = table[table["bydel_code"] != CITY_CODE].set_index("bydel_code")
        values = frame["bydel_code"].map(rows[metric]).to_numpy(dtype=float)
        protected = table.attrs.get("weight_basis") == "brukerdata" and (
            metric in USER_COUNT_COLUMNS or metric in USER_DERIVED_COLUMNS
        )
        classes = carto.classify(values, metric, method, k)
        if protected:
            # never a bydel's exact small count: rounded class bounds, "<5"/":" in tooltips
            classes = carto.protected_classes(values, metric, classes)
            shown = protect_coverage_table(table)
            shown_rows = shown[shown["bydel_code"] != CITY_CODE].set_index("bydel_code")
            raw = frame["bydel_code"].map(shown_rows[metric])
        else:
            raw = frame["bydel_code"].map(rows[metric])
        colours = [to_hex(c) for c in classes.colors()]
        frame["_fill"] = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes.index]
        frame["verdi"] = [
            v if isinstance(v, str) else carto.format_metric(metric, float(v)) for v in raw
        ]
        tooltip = folium.GeoJsonTooltip(
            ["bydel", "verdi"], aliases=["Bydel", label], sticky=True, labels=True
        )
        legend = _choropleth_legend(label, classes, colours, HIGHER_IS_BETTER.get(metric))
        layer_name = f"Bydeler: {label}"
        fill_opacity = 0.85 if tiles == "none" else 0.6
    else:
        frame["_fill"] = OSLO_PALETTE["beige"]
        tooltip = folium.GeoJsonTooltip(["bydel"], aliases=["Bydel"], sticky=True)
        layer_name = "Bydeler"
        fill_opacity = 0.9 if tiles == "none" else 0.12
    columns = [c for c in ("bydel_code", "bydel", "verdi", "_fill") if c in frame.columns]
    data = _geojson(frame, columns, simplify_m, coverage=True)
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
    from geo.services import CATEGORIES

    wanted = list(categories) if categories is not None else list(CATEGORIES)
    chosen = services[services["category"].isin(wanted).to_numpy()]
    placed = _located(chosen)
    n_unplaced = len(chosen) - len(placed)
    if placed.empty:
        return [], n_unplaced
    xy_frame = _analysis(placed)
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
        offsets[loose] = _fan_offsets(xy[loose], sizes[loose])

    def column(name: str) -> list[Any]:
        return placed[name].tolist() if name in placed.columns else [None] * len(placed)

    names, addresses, sources = column("name"), column("address"), column("source_url")
    qualities = column("coord_quality")
    shown: list[tuple[str, int]] = []
    for slug in [c for c in wanted if c in counts.index]:
        major = slug == "brukerrom"
        label = html.escape(CATEGORIES.get(slug, slug))
        style = {
            "html": _pin_html(slug, major),
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
                _text(names[i]) or label,
                _text(addresses[i]),
                _source_label(sources[i]),
                note,
            ]
            if offsets[i].any():
                row += [float(offsets[i, 0]), float(offsets[i, 1])]
            rows.append(row)
        _MarkerLayer(
            rows, [style], name=f"Tilbud: {CATEGORIES.get(slug, slug)}", cluster=slug in clustered
        ).add_to(m)
        shown.append((slug, len(rows)))
    return shown, n_unplaced


def _candidate_layer(m: folium.Map, candidates: gpd.GeoDataFrame) -> int:
    placed = _located(_analysis(candidates))
    if placed.empty:
        return 0
    ll = placed.to_crs(settings.DISPLAY_CRS).geometry
    names = placed["name"].tolist() if "name" in placed.columns else [None] * len(placed)
    ids = placed["id"].tolist() if "id" in placed.columns else [None] * len(placed)
    addresses = placed["address"].tolist() if "address" in placed.columns else [None] * len(placed)
    xy = np.column_stack([placed.geometry.x.to_numpy(), placed.geometry.y.to_numpy()])
    offsets = _fan_offsets(xy, np.full(len(placed), float(MARKER_PX)))
    rows = []
    for i, (y, x) in enumerate(zip(ll.y.to_numpy(), ll.x.to_numpy(), strict=True)):
        name = _text(names[i]) or _text(ids[i]) or f"nr. {i + 1}"
        row: list[Any] = [round(float(y), 6), round(float(x), 6), 0, name, _text(addresses[i])]
        row += ["", ""]
        if offsets[i].any():
            row += [float(offsets[i, 0]), float(offsets[i, 1])]
        rows.append(row)
    style = {
        "html": _candidate_html(),
        "size": MARKER_PX,
        "label": "",
        "prefix": "Kandidat: ",
        "cluster": "oc-cand",
    }
    _MarkerLayer(rows, [style], name="Kandidatsteder").add_to(m)
    return len(rows)


def _area_layer(m: folium.Map, areas: gpd.GeoDataFrame | gpd.GeoSeries, simplify_m: float) -> bool:
    frame = _analysis(areas)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()]
    if frame.empty:
        return False
    label_col = next((c for c in ("label", "name", "navn") if c in frame.columns), None)
    columns = [label_col] if label_col else []
    data = _geojson(frame, columns, min(simplify_m, 2.0))
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
    frame = _located(_analysis(points))
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
        _MarkerLayer(rows, [style], name="Brukerdata (punkter)", cluster=True).add_to(m)
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
    from geo.services import CATEGORIES

    rows = []
    for slug, count in shown:
        rows.append(
            f'<div class="oc-row"><span class="oc-key">{_pin_html(slug)}</span>'
            f"{html.escape(CATEGORIES.get(slug, slug))} ({count})</div>"
        )
    if n_candidates:
        rows.append(
            f'<div class="oc-row"><span class="oc-key">{_candidate_html()}</span>'
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


# ---------------------------------------------------------------------- the map
def coverage_map(
    bydeler: gpd.GeoDataFrame,
    table: pd.DataFrame | None = None,
    metric: str | None = None,
    services: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    delbydeler: gpd.GeoDataFrame | None = None,
    service_areas: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    user_points: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    tiles: str = "none",
    categories: Sequence[str] | None = None,
    height: int | str = "100%",
    *,
    method: str = "naturalbreaks",
    k: int = 5,
    user_points_as: str = "heat",
    cluster_threshold: int = CLUSTER_THRESHOLD,
    fullscreen: bool = True,
    simplify_m: float = 5.0,
    local_assets: bool = True,
    asset_base_url: str = webassets.DEFAULT_BASE_URL,
) -> folium.Map:
    """The app's interactive map of Oslo: bydeler, services, candidates and user data.

    Parameters
    ----------
    bydeler
        Bydel polygons (:func:`geo.boundaries.load_bydeler`; columns ``bydel_code``, ``bydel``).
    table, metric
        A per-bydel table (:func:`geo.metrics.coverage_table`) and the column to colour the
        bydeler by (light → dark blue, classes as in the print maps,
        :func:`geo.cartography.classify`). The ``Hele byen`` row is not drawn. Counts from user
        data are protected as in every export (:mod:`geo.privacy`).
    services
        Service registry (:func:`geo.services.load_services`); rows without a location are
        skipped and counted in the legend. One marker per located service, coloured and with an
        icon per category (:data:`CATEGORY_ICONS`); brukerrom larger and ringed; sprøytebokser,
        and any category with more than ``cluster_threshold`` services, clustered.
    candidates
        Candidate sites (points with ``id``/``name``), drawn as dashed rings
        (tooltip ``Kandidat: <name>``).
    delbydeler
        Delbydel polygons, drawn as thin outlines (a layer that can be switched off).
    service_areas
        Polygons (e.g. areas within the threshold of a service), semi-transparent green; a
        ``label``/``name`` column becomes the tooltip.
    user_points
        Points of user data (optional ``weight`` column), as a heat map (``user_points_as=
        "heat"``) or clustered dots (``"cluster"``).
    tiles
        ``"none"`` (no background map: works offline), ``"osm"`` (OpenStreetMap) or
        ``"kartverket"`` (Kartverket's grey topographic map).
    categories
        Service categories to draw; all when ``None``.
    height
        Height of the map element (CSS length or pixels).
    method, k
        Classification of the choropleth (``"naturalbreaks"``, ``"quantiles"``,
        ``"equalinterval"``) and number of classes.
    fullscreen
        Add a full-screen button.
    simplify_m
        Tolerance in metres for simplifying the boundaries sent to the browser (0 = exact).
    local_assets, asset_base_url
        Point every script/stylesheet at the vendored copies (:func:`geo.webassets.localise`)
        under ``asset_base_url``.

    Returns
    -------
    folium.Map
        Fitted to the bydeler; with a layer control and legends (bokmål).

    """
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
    shapes = _analysis(bydeler).to_crs(settings.DISPLAY_CRS)
    minx, miny, maxx, maxy = shapes.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        height=height,
        **zoom_limits,
    )
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
    from geo.services import CATEGORIES

    slugs = list(CATEGORIES)
    _MapStyle(_css(slugs), None if tiles != "none" else PLAIN_BACKGROUND).add_to(m)

    legend = _bydel_layer(m, bydeler, table, metric, tiles, method, k, simplify_m)
    has_areas = service_areas is not None and _area_layer(m, service_areas, simplify_m)
    if delbydeler is not None and len(delbydeler):
        folium.GeoJson(
            _geojson(
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
    n_candidates = _candidate_layer(m, candidates) if candidates is not None else 0

    if legend:
        _HtmlControl(legend, "bottomleft").add_to(m)
    key = _category_legend(shown, n_unplaced, n_candidates, has_areas, n_users, user_points_as)
    if key:
        _HtmlControl(key, "bottomright").add_to(m)
    if fullscreen:
        Fullscreen(
            position="topleft", title="Fullskjerm", title_cancel="Avslutt fullskjerm"
        ).add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    fit = FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False  # straight to Oslo: no zoom animation on first draw
    fit.add_to(m)
    if local_assets:
        webassets.localise(m, base_url=asset_base_url)
    return m
