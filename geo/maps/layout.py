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

Choropleths are classed by :mod:`geo.maps.classes` (Fisher–Jenks natural breaks by default,
which is exact and deterministic, or quantiles / equal intervals).
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from pyproj import Transformer

from geo import settings
from geo.data.boundaries import BOUNDARY_VERSIONS
from geo.data.datasets import source_line
from geo.labels import format_number
from geo.style import FONT_FAMILY, INK, RC_PARAMS

__all__ = [
    "PAPER_MM",
    "MapLayout",
    "MapText",
    "PrintOptions",
    "add_north_arrow",
    "add_scalebar",
    "add_title_and_footer",
    "apply_limits",
    "draw_legend",
    "finish_map",
    "fit_extent",
    "halo_text",
    "metres_per_point",
    "new_layout",
    "nice_scale",
    "paper_size_mm",
    "save_figure",
    "scale_denominator",
    "true_north_angle",
]


PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Portrait width × height in millimetres."""


@dataclass(frozen=True)
class PrintOptions:
    """How a print map is made: paper, orientation, background, classes and an own title.

    ``orientation`` ``None`` takes each map kind's own default (portrait for the choropleth,
    landscape otherwise); ``title``/``subtitle`` ``None`` keep the map's generated ones.
    """

    paper: str = "A4"
    orientation: str | None = None
    background: str = "plain"
    method: str = "naturalbreaks"
    k: int = 5
    title: str | None = None
    subtitle: str | None = None

    def text(self, title: str, subtitle: str, **fields: Any) -> MapText:
        """The map's text block: its own title and subtitle unless these options give others."""
        return MapText(
            title=self.title or title,
            subtitle=subtitle if self.subtitle is None else self.subtitle,
            **fields,
        )


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


def finish_map(layout: MapLayout, ax: Axes, north: bool = True) -> None:
    """Scale bar and north arrow on a main map axes."""
    add_scalebar(ax, layout.pt(7), paper=layout.paper)
    if north:
        add_north_arrow(ax, layout.pt(9))


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


def apply_limits(ax: Axes, limits: Sequence[float]) -> None:
    """Set the map's extent again after geopandas has drawn (it resets limits and labels)."""
    ax.set_xlabel("")  # geopandas labels the axes "Easting/Northing [metre]"
    ax.set_ylabel("")
    ax.set_xlim(limits[0], limits[2])
    ax.set_ylim(limits[1], limits[3])
