r"""Static map layout for case documents: paper, frame, legend, scale bar, north arrow, sources.

Every map drawn here is a :class:`matplotlib.figure.Figure` of exactly the paper size (A4 or A3,
portrait or landscape) in EPSG:25832, with

* a title and a subtitle,
* a legend for every layer drawn (in a side panel, so it never covers the map),
* a scale bar and the representative fraction at print size,
* a north arrow pointing to true north (rotated by the meridian convergence, about 1.5° in Oslo),
* the coordinate system, a source line naming exactly the datasets drawn, the date made and the
  boundary version.

The scale at print size is

.. math::

    1 : N, \qquad N = \frac{x_{max} - x_{min}}{w_{axes}}

with the map width in metres and the axes width on paper in metres.

Classification of choropleths uses :mod:`mapclassify` (Fisher–Jenks natural breaks by default,
which is exact and deterministic, or quantiles / equal intervals).
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import Transformer

from geo import settings
from geo.datasets import DATASETS

OSLO_PALETTE: dict[str, str] = {
    "dark_blue": "#2a2859",
    "blue": "#6fe9ff",
    "light_blue": "#b3f5ff",
    "green": "#43f8b6",
    "light_green": "#c7fde9",
    "yellow": "#f9c66b",
    "red": "#ff8274",
    "beige": "#f8f0dd",
}
"""Oslo kommune's design palette (Oslo Punkt)."""

INK = OSLO_PALETTE["dark_blue"]
FONT_FAMILY = "DejaVu Sans"
"""Bundled with matplotlib and has æøå; kept as real text in PDF (Type 42) and SVG."""

PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Portrait width × height in millimetres."""

RC_PARAMS: dict[Any, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "font.family": FONT_FAMILY,
    "axes.unicode_minus": False,
}

CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "brukerrom": (OSLO_PALETTE["red"], "o"),
    "sproyteutdeling": (OSLO_PALETTE["yellow"], "s"),
    "sproyteboks": (OSLO_PALETTE["yellow"], "v"),
    "helsetilbud": (OSLO_PALETTE["green"], "P"),
    "lasso": (OSLO_PALETTE["blue"], "D"),
    "rusmiddelanalyse": (OSLO_PALETTE["light_blue"], "^"),
    "moteplass": (OSLO_PALETTE["dark_blue"], "o"),
    "overnatting": (OSLO_PALETTE["light_green"], "h"),
    "oppsokende": (OSLO_PALETTE["blue"], "*"),
    "annet": (OSLO_PALETTE["beige"], "X"),
}
"""Marker colour and shape per service category (shape differs where colours repeat)."""

SOURCE_LABELS: dict[str, str] = {
    "bydeler_pbe2013": "Bydelsgrenser",
    "delbydeler": "Delbydeler",
    "population": "Befolkning",
    "services": "Tjenester",
    "walk_network": "Gangnett",
    "bydel_groups": "Bydelsgrupper",
}

TILE_ATTRIBUTION = "Bakgrunnskart: © OpenStreetMap-bidragsytere"

CENTRE_XY = (597_600.0, 6_643_300.0)
"""Middle of the city-centre inset (Jernbanetorget/Vaterland area), EPSG:25832."""
CENTRE_HALF_WIDTH_M = 1_600.0

_CMAP = LinearSegmentedColormap.from_list(
    "oslo_blues",
    [OSLO_PALETTE["beige"], OSLO_PALETTE["light_blue"], OSLO_PALETTE["blue"], "#3b6fb6", INK],
)


# ---------------------------------------------------------------------- text helpers
def format_number(value: float, decimals: int = 0) -> str:
    r"""Norwegian number format: space between thousands, comma as decimal sign.

    >>> format_number(12345.678, 1)
    '12\xa0345,7'
    """
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    # typographic minus (U+2212), no-break space between thousands, decimal comma
    return text.replace(",", "\u00a0").replace(".", ",").replace("-", "\u2212")


def format_metric(metric: str, value: float) -> str:
    """Format a metric value with its unit (percent for shares, metres for distances)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if metric.startswith("share"):
        return format_number(100 * value, 0 if abs(value) >= 0.1 or value == 0 else 1) + " %"
    if metric.endswith("_m"):
        return format_number(value, 0) + " m"
    if metric.endswith("_min"):
        return format_number(value, 1) + " min"
    if metric in ("population", "residents_within_threshold") or metric.startswith("n_"):
        return format_number(value, 0)
    return format_number(value, 2)


USER_DATA_LABELS = {
    "population": "Brukere/besøk (vekt)",
    "residents_within_threshold": "Brukere/besøk innen terskel",
}
"""Labels of the people counts when the weights are user data instead of residents."""


def metric_label(
    metric: str, threshold_m: float | None = None, weight_basis: str | None = None
) -> str:
    """Bokmål label of a metric, with the threshold written out ("Andel innen 500 m").

    With ``weight_basis="brukerdata"`` the people counts are named as users/visits.
    """
    from geo.metrics import METRIC_LABELS

    text = METRIC_LABELS.get(metric, metric)
    if weight_basis == "brukerdata":
        text = USER_DATA_LABELS.get(metric, text)
    if threshold_m is not None:
        text = text.replace("innen terskel", f"innen {format_number(threshold_m)} m")
    return text


def source_line(keys: Sequence[str], extra: Sequence[str] = (), tiles: bool = False) -> str:
    """``"Kilde: Bydelsgrenser: Oslo kommune (PBE), 2013 · …"`` for exactly the datasets drawn.

    OpenStreetMap is named only when an OSM-derived layer was used (walking network in
    ``keys``, or ``tiles=True``).
    """
    parts: list[str] = []
    for key in keys:
        ds = DATASETS.get(key)
        if ds is None:
            continue
        label = SOURCE_LABELS.get(key, ds.title)
        text = f"{label}: {ds.source}"
        if ds.date:
            text += f", {ds.date[:4]}"
        if ds.project_file:
            text += f" (data/{ds.relpath})"
        if text not in parts:
            parts.append(text)
    parts.extend(extra)
    if tiles:
        parts.append(TILE_ATTRIBUTION)
    return "Kilde: " + " · ".join(parts)


@dataclass
class MapText:
    """Everything written around a map (title block and footer)."""

    title: str
    subtitle: str = ""
    sources: list[str] = field(default_factory=lambda: ["bydeler_pbe2013"])
    extra_sources: list[str] = field(default_factory=list)
    boundary_version: str = "pbe2013"
    notes: list[str] = field(default_factory=list)
    made: _dt.date = field(default_factory=_dt.date.today)


@dataclass
class MapLayout:
    """A figure of paper size with its map axes, legend panel and optional inset."""

    fig: Figure
    maps: list[Axes]
    legend: Axes
    inset: Axes | None
    paper: str
    orientation: str
    font_scale: float

    def pt(self, size: float) -> float:
        """Font size scaled for the paper (A3 prints 1.25× larger than A4)."""
        return size * self.font_scale


def paper_size_mm(paper: str = "A4", orientation: str = "landscape") -> tuple[float, float]:
    """Width and height in millimetres of ``paper`` in ``orientation``."""
    if paper not in PAPER_MM:
        raise ValueError(f"Ukjent papirformat «{paper}». Gyldige: {', '.join(PAPER_MM)}.")
    if orientation not in ("portrait", "landscape"):
        raise ValueError("Orientering må være «portrait» (stående) eller «landscape» (liggende).")
    w, h = PAPER_MM[paper]
    return (h, w) if orientation == "landscape" else (w, h)


def new_layout(
    paper: str = "A4",
    orientation: str = "landscape",
    n_maps: int = 1,
    inset: bool = False,
    side_fraction: float | None = None,
) -> MapLayout:
    """Create the page: title band, map area (1 or 2 maps), legend panel (+ inset), footer.

    Landscape puts the legend panel right of the map; portrait puts it below.
    """
    w_mm, h_mm = paper_size_mm(paper, orientation)
    font_scale = 1.0 if paper == "A4" else 1.25
    fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
    margin, title_h, footer_h, gap = 10.0, 20.0 * font_scale, 17.0 * font_scale, 5.0
    body = (margin, margin + footer_h, w_mm - margin, h_mm - margin - title_h)
    bx0, by0, bx1, by1 = body

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 / w_mm, y0 / h_mm, (x1 - x0) / w_mm, (y1 - y0) / h_mm)

    maps: list[Axes] = []
    if orientation == "landscape":
        side_w = (bx1 - bx0) * (side_fraction or 0.27)
        mx1 = bx1 - side_w - gap
        widths = np.linspace(bx0, mx1 + gap, n_maps + 1)
        for k in range(n_maps):
            maps.append(fig.add_axes(box(widths[k], by0, widths[k + 1] - gap, by1)))
        panel = (mx1 + gap, by0, bx1, by1)
        if inset:
            split = by0 + (by1 - by0) * 0.55
            legend_box = (panel[0], split + gap, panel[2], by1)
            inset_box: tuple[float, float, float, float] | None = (panel[0], by0, panel[2], split)
        else:
            legend_box, inset_box = panel, None
    else:
        side_h = (by1 - by0) * (side_fraction or (0.30 if n_maps == 1 else 0.22))
        my0 = by0 + side_h + gap
        heights = np.linspace(by1, my0 - gap, n_maps + 1)
        for k in range(n_maps):
            maps.append(fig.add_axes(box(bx0, heights[k + 1] + gap, bx1, heights[k])))
        panel = (bx0, by0, bx1, by0 + side_h)
        if inset:
            split = bx0 + (bx1 - bx0) * 0.52
            legend_box, inset_box = (bx0, by0, split - gap, panel[3]), (split, by0, bx1, panel[3])
        else:
            legend_box, inset_box = panel, None
    legend_ax = fig.add_axes(box(*legend_box))
    legend_ax.set_axis_off()
    inset_ax = fig.add_axes(box(*inset_box)) if inset_box else None
    for ax in [*maps, *([inset_ax] if inset_ax else [])]:
        _neatline(ax)
    return MapLayout(fig, maps, legend_ax, inset_ax, paper, orientation, font_scale)


def _neatline(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_edgecolor(INK)
        spine.set_linewidth(0.8)


def fit_extent(
    ax: Axes, bounds: Sequence[float], pad: float = 0.03
) -> tuple[float, float, float, float]:
    """Set the axes limits to ``bounds`` (plus ``pad``) widened to the axes' shape on paper.

    Returns the limits (x0, y0, x1, y1) so both axes have the same metres per millimetre.
    """
    x0, y0, x1, y1 = bounds
    dx, dy = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w_mm, h_mm = _axes_size_mm(ax)
    if dx / dy < w_mm / h_mm:
        dx = dy * w_mm / h_mm
    else:
        dy = dx * h_mm / w_mm
    limits = (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)
    ax.set_xlim(limits[0], limits[2])
    ax.set_ylim(limits[1], limits[3])
    ax.set_aspect("equal", adjustable="box")
    return limits


def _axes_size_mm(ax: Axes) -> tuple[float, float]:
    pos = ax.get_position()
    fig_w, fig_h = ax.get_figure().get_size_inches()  # type: ignore[union-attr]
    return pos.width * fig_w * 25.4, pos.height * fig_h * 25.4


def scale_denominator(ax: Axes) -> float:
    """:math:`N` of the print scale 1:N of a map axes (metres of map per metre of paper)."""
    w_mm, _ = _axes_size_mm(ax)
    x0, x1 = ax.get_xlim()
    return (x1 - x0) / (w_mm / 1000.0)


def nice_scale(denominator: float) -> int:
    """Round a scale denominator to 2 significant digits for display (1:97 312 → 1:97 000)."""
    if denominator <= 0:
        return 0
    magnitude = 10 ** max(int(np.floor(np.log10(denominator))) - 1, 0)
    return int(round(denominator / magnitude) * magnitude)


def metres_per_point(ax: Axes) -> float:
    """Map metres covered by one typographic point (1/72 inch) on paper."""
    return scale_denominator(ax) * 25.4 / 72 / 1000


# ---------------------------------------------------------------------- map furniture
def halo_text(draw: Any, *args: Any, halo: tuple[float, Any], **kwargs: Any) -> Any:
    """Text with a halo that stays real (searchable, extractable) text in PDF and SVG.

    A path effect turns text into outlines, so the halo is a separate copy underneath (drawn as
    a stroked path) and the text itself is drawn plainly on top. ``draw`` is ``ax.text`` or
    ``ax.annotate``; ``halo = (linewidth, colour)``.
    """
    width, colour = halo
    draw(
        *args,
        **{
            **kwargs,
            "color": colour,
            "path_effects": [patheffects.Stroke(linewidth=width, foreground=colour)],
        },
    )
    return draw(*args, **kwargs)


def add_scalebar(
    ax: Axes, font_size: float, location: str = "lower left", paper: str | None = None
) -> None:
    """A metric scale bar (matplotlib-scalebar; EPSG:25832 units are metres).

    With ``paper`` the print scale (``1:130 000 på A4``) is written beside the bar.
    """
    from matplotlib_scalebar.scalebar import ScaleBar

    ax.add_artist(
        ScaleBar(
            1.0,
            units="m",
            location=location,
            length_fraction=0.22,
            box_alpha=0.85,
            color=INK,
            scale_loc="top",
            border_pad=0.6,
            font_properties={"family": FONT_FAMILY, "size": font_size},
        )
    )
    if paper:
        halo_text(
            ax.text,
            0.265,
            0.022,
            f"Målestokk 1:{format_number(nice_scale(scale_denominator(ax)))} på {paper}",
            transform=ax.transAxes,
            fontsize=font_size * 0.9,
            color=INK,
            ha="left",
            va="bottom",
            zorder=20,
            halo=(2.2, "white"),
        )


def true_north_angle(x: float, y: float) -> float:
    """Direction of true north at (x, y) in EPSG:25832, degrees clockwise from grid north."""
    to_ll = Transformer.from_crs(settings.ANALYSIS_CRS, settings.DISPLAY_CRS, always_xy=True)
    to_xy = Transformer.from_crs(settings.DISPLAY_CRS, settings.ANALYSIS_CRS, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    nx, ny = to_xy.transform(lon, lat + 0.01)
    return float(np.degrees(np.arctan2(nx - x, ny - y)))


def add_north_arrow(ax: Axes, font_size: float, corner: tuple[float, float] = (0.94, 0.93)) -> None:
    """A north arrow pointing to true north, with "N" above it."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    angle = np.radians(true_north_angle((x0 + x1) / 2, (y0 + y1) / 2))
    length = 26.0
    dx, dy = length * np.sin(angle), length * np.cos(angle)
    ax.annotate(
        "",
        xy=corner,
        xycoords="axes fraction",
        xytext=(-dx, -dy),
        textcoords="offset points",
        arrowprops={"arrowstyle": "-|>,head_length=0.9,head_width=0.45", "color": INK, "lw": 1.6},
        zorder=20,
    )
    halo_text(
        ax.annotate,
        "N",
        xy=corner,
        xycoords="axes fraction",
        xytext=(dx * 0.12, 4 + dy * 0.12),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=font_size,
        fontweight="bold",
        color=INK,
        zorder=20,
        halo=(2.5, "white"),
    )


def add_title_and_footer(layout: MapLayout, text: MapText, tiles: bool = False) -> None:
    """Title, subtitle and the footer (sources, coordinate system, date, boundary version, scale)."""
    fig = layout.fig
    w_mm, h_mm = paper_size_mm(layout.paper, layout.orientation)
    left = 10.0 / w_mm
    fig.text(
        left,
        1 - 10.0 / h_mm,
        text.title,
        fontsize=layout.pt(15),
        fontweight="bold",
        color=INK,
        va="top",
        gid="title",
    )
    # always present (possibly empty) so a caller can replace it, see geo.export.build_map
    fig.text(
        left,
        1 - (10.0 + 8.0 * layout.font_scale) / h_mm,
        text.subtitle,
        fontsize=layout.pt(9.5),
        color=INK,
        va="top",
        gid="subtitle",
    )
    foot = layout.pt(6.5)
    chars = int((w_mm - 20) / (foot * 0.3528 * 0.62))
    source = source_line(text.sources, text.extra_sources, tiles)
    lines = textwrap.wrap(source, chars)
    from geo.boundaries import BOUNDARY_VERSIONS

    bv = BOUNDARY_VERSIONS.get(text.boundary_version)
    version = f"{text.boundary_version} ({bv.label})" if bv else text.boundary_version
    lines.extend(
        textwrap.wrap(
            f"Koordinatsystem: {settings.CRS_LABEL} · Grenser: {version} · "
            f"Laget {text.made.strftime('%d.%m.%Y')} med oslo-coverage",
            chars,
        )
    )
    for note in text.notes:
        lines.extend(textwrap.wrap(note, chars))
    line_h = foot * 0.3528 * 1.45 / h_mm
    top = (10.0 + 17.0 * layout.font_scale - 3.0) / h_mm
    for k, line in enumerate(lines[:6]):
        fig.text(left, top - k * line_h, line, fontsize=foot, color=INK, va="top")


def draw_legend(
    layout: MapLayout,
    sections: Sequence[tuple[str, Sequence[tuple[Any, str]]]],
    loc: Any = "upper left",
) -> None:
    """One legend in the side panel with a bold heading per section (one section per layer)."""
    handles: list[Any] = []
    labels: list[str] = []
    headers: set[int] = set()
    for heading, entries in sections:
        if not entries:
            continue
        if handles:
            handles.append(Patch(alpha=0))
            labels.append(" ")
        headers.add(len(labels))
        handles.append(Patch(alpha=0))
        labels.append(heading)
        for handle, label in entries:
            handles.append(handle)
            labels.append(label)
    legend = layout.legend.legend(
        handles,
        labels,
        loc=loc,
        frameon=False,
        fontsize=layout.pt(7.5),
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0.0,
        labelspacing=0.45,
        alignment="left",
    )
    for k, item in enumerate(legend.get_texts()):
        item.set_color(INK)
        if k in headers:
            item.set_fontweight("bold")
            item.set_x(-layout.pt(1.6 * 7.5))
    legend.set_in_layout(False)


# ---------------------------------------------------------------------- layers
def label_points(geometries: gpd.GeoSeries, tolerance: float = 20.0) -> list[Any]:
    """Label anchor per polygon: the pole of inaccessibility of its largest part.

    The point inside the polygon farthest from its edge (``shapely.ops.polylabel``) is where a
    label has the most room, unlike the centroid (may fall outside) or an arbitrary interior
    point. Empty geometries give ``None``.
    """
    from shapely.ops import polylabel

    points: list[Any] = []
    for geom in geometries:
        if geom is None or geom.is_empty:
            points.append(None)
            continue
        parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
        if not parts:
            points.append(geom.representative_point())
            continue
        points.append(polylabel(max(parts, key=lambda g: g.area), tolerance=tolerance))
    return points


def draw_bydeler(
    ax: Axes,
    bydeler: gpd.GeoDataFrame,
    facecolor: Any = OSLO_PALETTE["beige"],
    labels: bool = True,
    font_size: float = 6.5,
    label_colors: Sequence[str] | None = None,
    clip_box: Sequence[float] | None = None,
) -> Line2D:
    """Bydel polygons with boundaries and (optionally) names; returns the legend handle."""
    bydeler.plot(ax=ax, color=facecolor, edgecolor=INK, linewidth=0.6, zorder=1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if labels:
        geometries = bydeler.geometry
        if clip_box is not None:
            geometries = geometries.intersection(shapely.box(*clip_box))
        points = label_points(geometries)
        for k, (name, point) in enumerate(zip(bydeler["bydel"], points, strict=True)):
            if point is None or point.is_empty:
                continue
            color = label_colors[k] if label_colors else INK
            halo = "white" if color == INK else INK
            halo_text(
                ax.text,
                point.x,
                point.y,
                name,
                fontsize=font_size,
                color=color,
                ha="center",
                va="center",
                style="italic",
                zorder=5,
                clip_on=True,
                halo=(1.8, halo),
            )
    return Line2D([], [], color=INK, linewidth=0.8)


def displaced_xy(xy: np.ndarray, size: float, link: float = 1.6) -> tuple[np.ndarray, np.ndarray]:
    r"""Spread markers that would overlap on a ring around their group's centre.

    Points closer than ``link * size`` (single linkage) form a group; a group of :math:`n`
    markers is placed evenly on a circle of radius

    .. math::

        r = \max\left(0.9\,s,\; \frac{0.7\,s}{\sin(\pi/n)}\right)

    so neighbouring markers of diameter :math:`s` are at least :math:`1.4\,s` apart. Members keep
    their angular order around the centre (leader lines do not cross).

    Parameters
    ----------
    xy
        (n, 2) true positions in map units.
    size
        Marker diameter in map units (metres at the print scale).
    link
        Distance, in marker diameters, under which markers are grouped.

    Returns
    -------
    tuple of numpy.ndarray
        Display positions, and per point whether it was moved (draw a leader line from the true
        position).

    """
    from scipy.cluster.hierarchy import fcluster, linkage

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    out = xy.copy()
    moved = np.zeros(len(xy), dtype=bool)
    if len(xy) < 2:
        return out, moved
    groups = fcluster(linkage(xy, method="single"), t=link * size, criterion="distance")
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        n = len(members)
        if n < 2:
            continue
        centre = xy[members].mean(axis=0)
        radius = max(0.9 * size, 0.7 * size / np.sin(np.pi / n))
        slots = np.pi / 2 - 2 * np.pi * np.arange(n) / n  # clockwise from north
        own = np.arctan2(xy[members, 1] - centre[1], xy[members, 0] - centre[0])
        order = members[np.argsort(-own, kind="stable")]  # clockwise order of the true positions
        best, best_cost = 0, np.inf
        for shift in range(n):
            pos = centre + radius * np.column_stack(
                [np.cos(np.roll(slots, shift)), np.sin(np.roll(slots, shift))]
            )
            cost = float(np.hypot(*(pos - xy[order]).T).sum())
            if cost < best_cost - 1e-9:
                best, best_cost = shift, cost
        rolled = np.roll(slots, best)
        out[order, 0] = centre[0] + radius * np.cos(rolled)
        out[order, 1] = centre[1] + radius * np.sin(rolled)
        moved[members] = True
    return out, moved


def draw_services(
    ax: Axes,
    services: gpd.GeoDataFrame,
    marker_size: float = 6.5,
    displace: bool = True,
) -> list[tuple[Any, str]]:
    """Services as markers by category; co-located services spread around their address.

    Returns legend entries ``(handle, label)`` for the categories drawn, with counts.
    """
    from geo.services import CATEGORIES

    placed = services[~(services.geometry.isna() | services.geometry.is_empty)]
    if len(placed) == 0:
        return []
    xy = np.column_stack([placed.geometry.x, placed.geometry.y])
    size = marker_size * metres_per_point(ax)
    shown, moved = displaced_xy(xy, size) if displace else (xy, np.zeros(len(xy), bool))
    for (x, y), (sx, sy) in zip(xy[moved], shown[moved], strict=True):
        ax.plot([x, sx], [y, sy], color=INK, linewidth=0.5, zorder=6)
    if moved.any():
        ax.scatter(xy[moved, 0], xy[moved, 1], s=4, color=INK, zorder=6, linewidths=0)
    entries: list[tuple[Any, str]] = []
    categories = placed["category"].to_numpy()
    for slug, label in CATEGORIES.items():
        mask = categories == slug
        if not mask.any():
            continue
        color, marker = CATEGORY_STYLE.get(slug, (OSLO_PALETTE["beige"], "o"))
        edge = "white" if color == INK else INK
        size = marker_size * (1.3 if marker in "*P" else 1.0)
        ax.scatter(
            shown[mask, 0],
            shown[mask, 1],
            s=size**2,
            c=color,
            marker=marker,
            edgecolors=edge,
            linewidths=0.7,
            zorder=7,
        )
        handle = Line2D(
            [],
            [],
            linestyle="",
            marker=marker,
            markersize=size,
            markerfacecolor=color,
            markeredgecolor=edge,
            markeredgewidth=0.7,
        )
        entries.append((handle, f"{label} ({int(mask.sum())})"))
    return entries


def centre_extent(
    services: gpd.GeoDataFrame, reach_m: float = 2_500.0, margin_m: float = 350.0
) -> tuple[tuple[float, float], float]:
    """Centre and half-width of the inset: the services within ``reach_m`` of the city centre.

    Falls back to :data:`CENTRE_XY` / :data:`CENTRE_HALF_WIDTH_M` when none are there.
    """
    if len(services) == 0:
        return CENTRE_XY, CENTRE_HALF_WIDTH_M
    xy = np.column_stack([services.geometry.x, services.geometry.y])
    near = xy[np.hypot(xy[:, 0] - CENTRE_XY[0], xy[:, 1] - CENTRE_XY[1]) <= reach_m]
    if len(near) == 0:
        return CENTRE_XY, CENTRE_HALF_WIDTH_M
    lo, hi = near.min(axis=0), near.max(axis=0)
    half = max(600.0, float((hi - lo).max()) / 2 + margin_m)
    return (float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2)), half


def draw_inset(
    layout: MapLayout,
    main: Axes,
    draw: Any,
    centre: tuple[float, float] = CENTRE_XY,
    half_width: float = CENTRE_HALF_WIDTH_M,
) -> None:
    """Draw a zoomed map of the city centre into the layout's inset axes.

    ``draw(ax)`` draws the layers; the inset's extent is outlined on the main map.
    """
    inset = layout.inset
    if inset is None:
        return
    cx, cy = centre
    limits = fit_extent(
        inset, (cx - half_width, cy - half_width, cx + half_width, cy + half_width), 0
    )
    draw(inset)
    inset.set_xlim(limits[0], limits[2])
    inset.set_ylim(limits[1], limits[3])
    add_scalebar(inset, layout.pt(6.5))
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_title("Utsnitt: sentrum", fontsize=layout.pt(8), color=INK, loc="left", pad=3)
    main.add_patch(
        Rectangle(
            (limits[0], limits[1]),
            limits[2] - limits[0],
            limits[3] - limits[1],
            fill=False,
            edgecolor=INK,
            linewidth=1.0,
            linestyle="--",
            zorder=15,
        )
    )


def finish_map(layout: MapLayout, ax: Axes, north: bool = True) -> None:
    """Scale bar and north arrow on a main map axes."""
    add_scalebar(ax, layout.pt(7), paper=layout.paper)
    if north:
        add_north_arrow(ax, layout.pt(9))


# ---------------------------------------------------------------------- classification
@dataclass
class Classes:
    """A classification of metric values: class of each value, bounds and legend labels."""

    bins: np.ndarray
    """Upper bound of each class."""
    index: np.ndarray
    """Class of each value, -1 for missing / infinite."""
    labels: list[str]
    counts: list[int]
    method: str

    def colors(self) -> list[tuple[float, float, float]]:
        """Sequential colours light → dark, one per class."""
        k = len(self.bins)
        positions = np.linspace(0.12, 1.0, k) if k > 1 else np.array([0.6])
        return [to_rgb(_CMAP(p)) for p in positions]


CLASSIFIERS = {
    "naturalbreaks": "FisherJenks",
    "quantiles": "Quantiles",
    "equalinterval": "EqualInterval",
}


def classify(
    values: Sequence[float] | np.ndarray,
    metric: str,
    method: str = "naturalbreaks",
    k: int = 5,
    bins: Sequence[float] | np.ndarray | None = None,
) -> Classes:
    """Classify metric values for a choropleth.

    Parameters
    ----------
    values
        One value per area; ``nan``/``inf`` go to a "no data" class (index -1).
    metric
        Metric name (used to format the legend labels).
    method
        ``"naturalbreaks"`` (Fisher–Jenks, exact), ``"quantiles"`` or ``"equalinterval"``.
    k
        Number of classes; reduced when there are fewer distinct values.
    bins
        Fixed upper class bounds (e.g. to share classes between two maps); overrides ``method``.

    """
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    data = arr[finite]
    zero_class = False
    if bins is None:
        if method not in CLASSIFIERS:
            raise ValueError(
                f"Ukjent klassifisering «{method}». Gyldige: {', '.join(CLASSIFIERS)}."
            )
        # Many areas at exactly 0 (no one within reach) get a class of their own, so that
        # "0" is never lumped together with small positive values.
        zero_class = bool((data == 0).sum() >= 2 and (data > 0).any() and (data >= 0).all())
        rest = data[data > 0] if zero_class else data
        upper = _breaks(rest, method, k - int(zero_class))
        if zero_class:
            upper = np.concatenate([[0.0], upper])
    else:
        upper = np.asarray(bins, dtype=float)
    upper = np.unique(upper)
    index = np.full(len(arr), -1)
    index[finite] = np.minimum(np.searchsorted(upper, data, side="left"), len(upper) - 1)
    labels, counts = [], []
    for c, hi in enumerate(upper):
        members = arr[index == c]
        counts.append(len(members))
        if len(members):
            # the actual range of the class's values: no shared bounds between classes
            lo, hi_shown = float(members.min()), float(members.max())
        else:
            lo, hi_shown = (float(upper[c - 1]) if c else float(hi)), float(hi)
        labels.append(_range_label(format_metric(metric, lo), format_metric(metric, hi_shown)))
    return Classes(upper, index, labels, counts, method if bins is None else "faste grenser")


def protected_classes(values: np.ndarray, metric: str, classes: Classes) -> Classes:
    """Reclassify with rounded bounds so the legend never shows one area's exact value.

    Bounds are rounded up to multiples of 5 for counts, 5 percentage points for shares and two
    significant digits otherwise; a first class holding counts of 1–4 is labelled ``"<5"``.
    """
    if metric.startswith("share"):
        step = 0.05
        rounded = np.ceil(np.asarray(classes.bins) / step - 1e-9) * step
    elif metric in ("population", "residents_within_threshold") or metric.startswith("n_"):
        rounded = np.ceil(np.asarray(classes.bins) / 5 - 1e-9) * 5
    else:
        rounded = np.array([float(f"{b:.2g}") if b > 0 else b for b in classes.bins])
        rounded = np.where(rounded < classes.bins, rounded * 1.1, rounded)
    out = classify(values, metric, bins=np.unique(rounded))
    labels = []
    previous: float | None = None
    for c, hi in enumerate(out.bins):
        members = np.asarray(values, dtype=float)[out.index == c]
        hi_text = format_metric(metric, float(hi))
        if previous is None:
            small = bool(((members > 0) & (members < 5)).any()) and not metric.startswith("share")
            lo_text = "<5" if small else format_metric(metric, 0.0)
            if members.size and (members == 0).all():
                lo_text = hi_text = format_metric(metric, 0.0)
        elif previous == 0 and ((members > 0) & (members < 5)).any():
            lo_text = "<5"
        else:
            lo_text = f"over {format_metric(metric, previous)}"
        labels.append(hi_text if lo_text == hi_text else f"{lo_text} – {hi_text}")
        previous = float(hi)
    out.labels = labels
    out.method = classes.method
    return out


def _breaks(data: np.ndarray, method: str, k: int) -> np.ndarray:
    r"""Upper class bounds; fewer classes than asked when there are few distinct values.

    With :math:`u < 2k` distinct values at most :math:`\max(1, \lfloor u/2 \rfloor)` classes
    are made, so that a class rarely holds a single area by construction.
    """
    import warnings

    import mapclassify

    n_unique = len(np.unique(data))
    if n_unique <= 1:
        return np.array([data.max() if len(data) else 0.0])
    k = max(1, min(k, n_unique // 2 if n_unique < 2 * k else k))
    if k == 1:
        return np.array([float(data.max())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure-Python path is fine here
        return np.asarray(getattr(mapclassify, CLASSIFIERS[method])(data, k=k).bins, dtype=float)


def _range_label(lo_text: str, hi_text: str) -> str:
    """``"12 – 25 %"`` from ``"12 %"`` and ``"25 %"`` (the unit written once)."""
    if lo_text == hi_text:
        return hi_text
    lo_parts, hi_parts = lo_text.rsplit(" ", 1), hi_text.rsplit(" ", 1)
    if (
        len(lo_parts) == 2
        and len(hi_parts) == 2
        and lo_parts[1] == hi_parts[1]
        and not lo_parts[1][0].isdigit()
    ):
        return f"{lo_parts[0]} – {hi_text}"
    return f"{lo_text} – {hi_text}"


def save_figure(fig: Figure, path: str | Path, fmt: str | None = None, dpi: float = 300) -> Path:
    """Save a map figure at exactly its paper size (no tight bounding box) as PNG, PDF or SVG."""
    target = Path(path)
    kind = (fmt or target.suffix.lstrip(".") or "png").lower()
    if kind not in ("png", "pdf", "svg"):
        raise ValueError(f"Ukjent kartformat «{kind}». Gyldige: png, pdf, svg.")
    target.parent.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, Any] = {"Creator": "oslo-coverage"}
    if kind == "png":
        metadata = {"Software": "oslo-coverage"}
    with mpl.rc_context(RC_PARAMS):
        fig.savefig(target, format=kind, dpi=dpi, metadata=metadata, facecolor="white")
    return target


# ---------------------------------------------------------------------- map kinds
def _apply_limits(ax: Axes, limits: Sequence[float]) -> None:
    ax.set_xlabel("")  # geopandas labels the axes "Easting/Northing [metre]"
    ax.set_ylabel("")
    ax.set_xlim(limits[0], limits[2])
    ax.set_ylim(limits[1], limits[3])


def draw_background(ax: Axes, background: str = "plain") -> bool:
    """Draw a tile background when asked for and available; returns True when tiles were drawn.

    Without internet or without ``contextily`` the map keeps its plain vector background.
    """
    if background != "tiles":
        return False
    try:
        import contextily  # type: ignore[import-not-found]

        contextily.add_basemap(ax, crs=settings.ANALYSIS_CRS, attribution=False, zorder=0)
    except Exception:  # no package, no network, no cache: plain background
        return False
    return True


def _tile_note(background: str, tiles: bool) -> list[str]:
    if background == "tiles" and not tiles:
        return ["Bakgrunnskart var ikke tilgjengelig (uten nett) – enkel vektorbakgrunn er brukt."]
    return []


def _located(services: gpd.GeoDataFrame, categories: Sequence[str] | None) -> gpd.GeoDataFrame:
    mask = ~(services.geometry.isna() | services.geometry.is_empty)
    if categories:
        mask &= services["category"].isin(list(categories))
    return services[mask.to_numpy()]


def _unplaced_note(services: gpd.GeoDataFrame, categories: Sequence[str] | None) -> list[str]:
    chosen = services if not categories else services[services["category"].isin(list(categories))]
    missing = chosen[chosen.geometry.isna() | chosen.geometry.is_empty]
    if len(missing) == 0:
        return []
    names = ", ".join(missing["name"].astype(str).tolist()[:4])
    more = " m.fl." if len(missing) > 4 else "."
    return [f"Ikke vist (ukjent plassering): {len(missing)} tilbud – {names}{more}"]


def _displaced_entry(
    ax: Axes, services: gpd.GeoDataFrame, marker_size: float
) -> list[tuple[Any, str]]:
    if len(services) < 2:
        return []
    xy = np.column_stack([services.geometry.x, services.geometry.y])
    _, moved = displaced_xy(xy, marker_size * metres_per_point(ax))
    if not moved.any():
        return []
    handle = Line2D([], [], color=INK, linewidth=0.5, marker=".", markersize=3, markevery=[0])
    return [(handle, "Tilbud tett i tett er flyttet ut\ni ring; strek til riktig sted")]


def overview_map(
    bydeler: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    text: MapText | None = None,
    categories: Sequence[str] | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    inset: bool = True,
    background: str = "plain",
) -> Figure:
    """Overview of services by category over the bydeler, with a zoomed inset of the centre."""
    shown = _located(services, categories)
    text = text or MapText(
        title="Lavterskeltilbud i Oslo etter kategori",
        subtitle=f"{len(shown)} tilbud med kjent plassering · {len(bydeler)} bydeler",
        sources=["bydeler_pbe2013", "services"],
        boundary_version=bydeler.attrs.get("boundary_version", "pbe2013"),
    )
    text.notes = [*text.notes, *_unplaced_note(services, categories)]
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(paper, orientation, 1, inset)
        ax = layout.maps[0]
        limits = fit_extent(ax, bydeler.total_bounds)
        tiles = draw_background(ax, background)
        text.notes += _tile_note(background, tiles)
        boundary = draw_bydeler(
            ax, bydeler, "none" if tiles else OSLO_PALETTE["beige"], font_size=layout.pt(6.5)
        )
        entries = draw_services(ax, shown, marker_size=layout.pt(6.5))
        _apply_limits(ax, limits)

        centre, half_width = centre_extent(shown)

        def _draw_centre(inset_ax: Axes) -> None:
            x0, x1 = inset_ax.get_xlim()
            y0, y1 = inset_ax.get_ylim()
            draw_bydeler(
                inset_ax,
                bydeler,
                OSLO_PALETTE["beige"],
                font_size=layout.pt(7),
                clip_box=(x0, y0, x1, y1),
            )
            draw_services(inset_ax, shown, marker_size=layout.pt(8))

        draw_inset(layout, ax, _draw_centre, centre, half_width)
        finish_map(layout, ax)
        sections: list[tuple[str, Sequence[tuple[Any, str]]]] = [
            (
                "Tilbud (antall på kartet)",
                [*entries, *_displaced_entry(ax, shown, layout.pt(6.5))],
            ),
            ("Grenser", [(boundary, "Bydelsgrense")]),
        ]
        if inset:
            rect = Patch(fill=False, edgecolor=INK, linestyle="--", linewidth=1.0)
            sections.append(("Utsnitt", [(rect, "Område vist i utsnittet")]))
        draw_legend(layout, sections)
        add_title_and_footer(layout, text, tiles)
    return layout.fig


def choropleth_map(
    bydeler: gpd.GeoDataFrame,
    table: pd.DataFrame,
    metric: str,
    text: MapText | None = None,
    method: str = "naturalbreaks",
    k: int = 5,
    paper: str = "A4",
    orientation: str = "portrait",
    services: gpd.GeoDataFrame | None = None,
    background: str = "plain",
) -> Figure:
    """Choropleth of one metric of a coverage table over the bydeler, classified for print.

    Counts of people from user data (``table.attrs["weight_basis"] == "brukerdata"``) are
    protected: values 1–4 are written ``"<5"`` on the map and the legend shows rounded class
    bounds (:func:`protected_classes`), never a bydel's exact value.
    """
    from geo.metrics import HIGHER_IS_BETTER, METRIC_LABELS
    from geo.names import CITY_CODE
    from geo.privacy import USER_COUNT_COLUMNS, USER_DERIVED_COLUMNS, protect_coverage_table

    if metric not in table.columns:
        raise ValueError(
            f"Tabellen har ikke nøkkeltallet «{metric}». Tilgjengelige: "
            + ", ".join(c for c in table.columns if c in METRIC_LABELS)
        )
    label = metric_label(metric, table.attrs.get("threshold_m"), table.attrs.get("weight_basis"))
    rows = table[table["bydel_code"] != CITY_CODE].set_index("bydel_code")
    values = bydeler["bydel_code"].map(rows[metric]).to_numpy(dtype=float)
    protected = table.attrs.get("weight_basis") == "brukerdata" and (
        metric in USER_COUNT_COLUMNS or metric in USER_DERIVED_COLUMNS
    )
    shown_table = protect_coverage_table(table) if protected else table
    shown_rows = shown_table[shown_table["bydel_code"] != CITY_CODE].set_index("bydel_code")
    classes = classify(values, metric, method, k)
    if protected:
        classes = protected_classes(values, metric, classes)
    colors = classes.colors()
    threshold = table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M)
    text = text or MapText(
        title=f"{label} per bydel",
        subtitle=_metric_subtitle(metric, table),
        sources=_table_sources(table),
        boundary_version=table.attrs.get("boundary_version", "pbe2013"),
    )
    direction = HIGHER_IS_BETTER.get(metric)
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(paper, orientation, 1, False)
        ax = layout.maps[0]
        limits = fit_extent(ax, bydeler.total_bounds)
        tiles = draw_background(ax, background)
        text.notes = [*text.notes, *_tile_note(background, tiles)]
        facecolors = [colors[c] if c >= 0 else (0.85, 0.85, 0.85) for c in classes.index]
        label_colors = [
            "white" if c >= 0 and _luminance(colors[c]) < 0.45 else INK for c in classes.index
        ]
        draw_bydeler(ax, bydeler, facecolors, labels=False)
        points = label_points(bydeler.geometry)
        for k_row, (code, name, point) in enumerate(
            zip(bydeler["bydel_code"], bydeler["bydel"], points, strict=True)
        ):
            value = shown_rows[metric].get(code, np.nan) if code in shown_rows.index else np.nan
            value_text = value if isinstance(value, str) else format_metric(metric, float(value))
            color = label_colors[k_row]
            halo_text(
                ax.text,
                point.x,
                point.y,
                f"{name}\n{value_text}",
                fontsize=layout.pt(6.3),
                color=color,
                ha="center",
                va="center",
                zorder=5,
                linespacing=1.15,
                halo=(1.6, INK if color == "white" else "white"),
            )
        svc_entries: list[tuple[Any, str]] = []
        if services is not None:
            svc_entries = draw_services(
                ax, _located(services, table.attrs.get("categories")), layout.pt(5.5)
            )
        _apply_limits(ax, limits)
        finish_map(layout, ax)
        class_entries: list[tuple[Any, str]] = [
            (
                Patch(facecolor=col, edgecolor=INK, linewidth=0.6),
                f"{lab}  ({n} {'bydel' if n == 1 else 'bydeler'})",
            )
            for col, lab, n in zip(colors, classes.labels, classes.counts, strict=True)
        ]
        if (classes.index < 0).any():
            class_entries.append(
                (Patch(facecolor=(0.85, 0.85, 0.85), edgecolor=INK, linewidth=0.6), "Ingen verdi")
            )
        city = shown_table.loc[shown_table["bydel_code"] == CITY_CODE, metric]
        heading = label + (
            ""
            if direction is None
            else (" (høyere er bedre)" if direction else " (lavere er bedre)")
        )
        sections: list[tuple[str, Sequence[tuple[Any, str]]]] = [(heading, class_entries)]
        if len(city):
            city_value = city.iloc[0]
            city_text = (
                city_value
                if isinstance(city_value, str)
                else format_metric(metric, float(city_value))
            )
            sections.append(("Hele byen", [(Patch(alpha=0), city_text)]))
        sections.append(("Grenser", [(Line2D([], [], color=INK, linewidth=0.8), "Bydelsgrense")]))
        if svc_entries:
            sections.append(("Tilbud", svc_entries))
        method_text = {
            "naturalbreaks": "naturlige brudd (Fisher–Jenks)",
            "quantiles": "kvantiler (like mange bydeler per klasse)",
            "equalinterval": "like intervaller",
        }.get(classes.method, classes.method)
        method_text += f", {len(classes.bins)} klasser"
        if protected:
            method_text += ",\navrundede grenser (små tall skjules)"
        sections.append(("Klasseinndeling", [(Patch(alpha=0), method_text)]))
        draw_legend(layout, sections)
        text.notes = [
            *text.notes,
            f"Terskel {format_number(threshold)} m. " + (table.attrs.get("distance_note") or ""),
        ]
        add_title_and_footer(layout, text, tiles)
    return layout.fig


def candidate_map(
    bydeler: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    text: MapText | None = None,
    metric: str = "share_within_threshold",
    paper: str = "A4",
    orientation: str = "landscape",
    service_areas: tuple[gpd.GeoSeries, gpd.GeoSeries] | None = None,
) -> Figure:
    """Two maps side by side: today and with the candidate sites, in the same classes.

    Service areas (the area within the threshold of a site) are drawn for the existing sites and
    for the candidates; by default they are straight-line circles of the threshold radius, or
    pass ``service_areas=(existing, candidates)`` (e.g. walking isochrones).
    """
    from geo.names import CITY_CODE

    categories = baseline.attrs.get("categories")
    threshold = float(baseline.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    sites = _located(services, categories)
    cand = _located(candidates, None)
    label = metric_label(metric, threshold)
    both = pd.concat([baseline, scenario])
    both = both[both["bydel_code"] != CITY_CODE]
    classes = classify(both[metric].to_numpy(dtype=float), metric)
    colors = classes.colors()
    if service_areas is None:
        existing_area = gpd.GeoSeries([sites.geometry.buffer(threshold).union_all()], crs=sites.crs)
        candidate_area = gpd.GeoSeries([cand.geometry.buffer(threshold).union_all()], crs=cand.crs)
        area_kind = "luftlinje"
    else:
        existing_area, candidate_area = service_areas
        area_kind = "gangavstand"

    def city_value(table: pd.DataFrame) -> str:
        value = table.loc[table["bydel_code"] == CITY_CODE, metric]
        return format_metric(metric, float(value.iloc[0])) if len(value) else "–"

    fictitious = "coord_quality" in cand.columns and (cand["coord_quality"] == "fiktiv").any()
    text = text or MapText(
        title="Dekning i dag og med kandidatsteder",
        subtitle=f"{label}: i dag {city_value(baseline)}, "
        f"med {len(cand)} kandidat{'er' if len(cand) != 1 else ''} {city_value(scenario)} (hele byen)",
        sources=_table_sources(baseline),
        extra_sources=[
            "Kandidater: "
            + ("FIKTIVE eksempler (data/candidates_example.csv)" if fictitious else "brukerens fil")
        ],
        boundary_version=baseline.attrs.get("boundary_version", "pbe2013"),
    )
    if fictitious:
        text.notes = [
            *text.notes,
            "Kandidatene er FIKTIVE eksempler for å vise metoden, ikke forslag fra Oslo kommune.",
        ]
    text.notes = [*text.notes, baseline.attrs.get("distance_note", "")]
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(
            paper, orientation, 2, False, side_fraction=0.24 if orientation == "landscape" else 0.2
        )
        bounds = bydeler.total_bounds
        for ax, table, heading, with_candidates in (
            (layout.maps[0], baseline, "I dag", False),
            (layout.maps[1], scenario, "Med kandidater", True),
        ):
            limits = fit_extent(ax, bounds, 0.02)
            rows = table[table["bydel_code"] != CITY_CODE].set_index("bydel_code")
            values = bydeler["bydel_code"].map(rows[metric]).to_numpy(dtype=float)
            index = classify(values, metric, bins=classes.bins).index
            draw_bydeler(
                ax,
                bydeler,
                [colors[c] if c >= 0 else (0.85, 0.85, 0.85) for c in index],
                labels=False,
            )
            _area_outline(ax, existing_area, OSLO_PALETTE["green"], "-")
            site_entries = draw_services(ax, sites, marker_size=layout.pt(4.5))
            if with_candidates:
                _area_outline(ax, candidate_area, OSLO_PALETTE["red"], "--")
                _draw_candidates(ax, cand, layout.pt(9), layout.pt(6.5))
            _apply_limits(ax, limits)
            ax.set_title(
                f"{heading}: {city_value(table)}",
                fontsize=layout.pt(9.5),
                color=INK,
                loc="left",
                fontweight="bold",
                pad=4,
            )
            finish_map(layout, ax, north=not with_candidates)
        class_entries = [
            (Patch(facecolor=col, edgecolor=INK, linewidth=0.6), lab)
            for col, lab in zip(colors, classes.labels, strict=True)
        ]
        area_entries = [
            (
                Line2D(
                    [],
                    [],
                    color=OSLO_PALETTE["green"],
                    linewidth=1.6,
                    path_effects=_outline_effect(),
                ),
                f"Innen {format_number(threshold)} m fra dagens\ntilbud ({area_kind})",
            ),
            (
                Line2D(
                    [],
                    [],
                    color=OSLO_PALETTE["red"],
                    linewidth=1.6,
                    linestyle="--",
                    path_effects=_outline_effect(),
                ),
                f"Innen {format_number(threshold)} m fra\nkandidat ({area_kind})",
            ),
        ]
        names = cand["name"] if "name" in cand.columns else pd.Series([""] * len(cand))
        cand_entries = [
            (
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker="*",
                    markersize=layout.pt(9),
                    markerfacecolor=OSLO_PALETTE["red"],
                    markeredgecolor=INK,
                ),
                f"{k + 1}  " + "\n    ".join(textwrap.wrap(str(name) or f"Kandidat {k + 1}", 34)),
            )
            for k, name in enumerate(names)
        ]
        draw_legend(
            layout,
            [
                (f"{label} per bydel", class_entries),
                ("Dekningsområder", area_entries),
                ("Kandidater", cand_entries),
                ("Dagens tilbud", site_entries),
            ],
        )
        add_title_and_footer(layout, text)
    return layout.fig


def _outline_effect() -> list[Any]:
    return [patheffects.Stroke(linewidth=2.8, foreground=INK), patheffects.Normal()]


def _area_outline(ax: Axes, area: gpd.GeoSeries, color: str, linestyle: str) -> None:
    if len(area) == 0 or area.is_empty.all():
        return
    area.boundary.plot(
        ax=ax,
        color=color,
        linewidth=1.5,
        linestyle=linestyle,
        zorder=4,
        path_effects=_outline_effect(),
    )


def _draw_candidates(ax: Axes, candidates: gpd.GeoDataFrame, size: float, font_size: float) -> None:
    xs, ys = candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()
    ax.scatter(
        xs,
        ys,
        s=size**2,
        marker="*",
        c=OSLO_PALETTE["red"],
        edgecolors=INK,
        linewidths=0.7,
        zorder=9,
    )
    for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
        halo_text(
            ax.annotate,
            str(k + 1),
            (x, y),
            xytext=(size * 0.55, size * 0.35),
            textcoords="offset points",
            fontsize=font_size,
            fontweight="bold",
            color=INK,
            zorder=10,
            halo=(2.2, "white"),
        )


def _luminance(rgb: Sequence[float]) -> float:
    r, g, b = rgb[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _table_sources(table: pd.DataFrame) -> list[str]:
    """Dataset keys behind a coverage table (OSM only when the walking network was used)."""
    keys = ["bydeler_pbe2013", "population", "services"]
    if table.attrs.get("distance_kind") == "network":
        keys.append("walk_network")
    return keys


def _metric_subtitle(metric: str, table: pd.DataFrame) -> str:
    from geo.services import CATEGORIES

    cats = table.attrs.get("categories") or list(CATEGORIES)
    cat_text = (
        "alle kategorier"
        if len(cats) == len(CATEGORIES)
        else ", ".join(CATEGORIES.get(c, c) for c in cats)
    )
    threshold = table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M)
    distance = "gangnett" if table.attrs.get("distance_kind") == "network" else "luftlinje"
    weight = (
        "brukerdata"
        if table.attrs.get("weight_basis") == "brukerdata"
        else f"innbyggere 1.1.{table.attrs.get('population_year', '')}"
    )
    return (
        f"Tilbud: {cat_text} · terskel {format_number(threshold)} m ({distance}) · vekt: {weight}"
    )
