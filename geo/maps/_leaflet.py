"""Small folium/Leaflet elements of the web map: style, HTML controls, compact marker layers."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template

from geo import settings
from geo.geom import to_analysis_crs
from geo.style import CANDIDATE_ICON, INK, OSLO_PALETTE, category_style

__all__ = [
    "ALWAYS_CLUSTERED",
    "CLUSTER_THRESHOLD",
    "HEAT_PANE",
    "MAJOR_PX",
    "MARKER_PX",
    "HtmlControl",
    "MapStyle",
    "MarkerLayer",
    "candidate_html",
    "escaped_text",
    "fan_offsets",
    "geojson",
    "map_css",
    "pin_html",
    "source_label",
]


CLUSTER_THRESHOLD = 300
"""Layers with more points than this are clustered (``sproyteboks`` always is)."""


ALWAYS_CLUSTERED = ("sproyteboks",)


MARKER_PX = 26


MAJOR_PX = 36


HEAT_PANE = "ocHeat"


_GROUP_RADIUS_M = 3.0
"""Markers closer than this (same address) are fanned out on a small ring in screen pixels."""


class MapStyle(JSCSSMixin):
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


class HtmlControl(JSCSSMixin):
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


class MarkerLayer(JSCSSMixin, Layer):
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


def _round_coords(geoms: np.ndarray, decimals: int = 6) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def geojson(
    frame: gpd.GeoDataFrame, columns: Sequence[str], simplify_m: float, coverage: bool = False
) -> dict[str, Any]:
    """Features of ``frame`` with ``columns`` as properties, simplified, in EPSG:4326.

    Coordinates are rounded to 6 decimals (about 0.1 m). A ``coverage`` (bydeler, delbydeler)
    is simplified with shared edges kept identical (:func:`shapely.coverage_simplify`).
    """
    gdf = to_analysis_crs(frame)
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


def escaped_text(value: Any) -> str:
    """HTML-escaped text of a cell ("" for missing)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none") else html.escape(text)


def source_label(url: Any) -> str:
    """The host of a source URL (``erlik.no``), escaped."""
    text = escaped_text(url)
    if not text:
        return ""
    host = urlparse(html.unescape(text)).netloc
    return html.escape(host.removeprefix("www.")) if host else text


def _glyph_colour(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else INK


def pin_html(slug: str, major: bool = False) -> str:
    icon = category_style(slug).icon
    extra = " oc-major" if major else ""
    return f'<div class="oc-pin oc-c-{slug}{extra}"><i class="fa-solid fa-{icon}"></i></div>'


def candidate_html() -> str:
    return f'<div class="oc-pin oc-cand"><i class="fa-solid fa-{CANDIDATE_ICON}"></i></div>'


def map_css(slugs: Sequence[str]) -> str:
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
        fill = category_style(slug).colour
        rules.append(f".oc-c-{slug}{{background:{fill};color:{_glyph_colour(fill)}}}")
    return "".join(rules)


def fan_offsets(xy: np.ndarray, sizes: np.ndarray) -> np.ndarray:
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
