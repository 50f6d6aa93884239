"""The layers of a print map: bydeler, services, candidates, background, inset.

The choropleth classes they colour by come from :mod:`geo.maps.classes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from geo import settings
from geo.labels import CATEGORIES
from geo.maps.layout import MapLayout, add_scalebar, fit_extent, halo_text, metres_per_point
from geo.style import INK, OSLO_PALETTE, category_style

__all__ = [
    "CENTRE_HALF_WIDTH_M",
    "CENTRE_XY",
    "area_outline",
    "centre_extent",
    "displaced_entry",
    "displaced_xy",
    "draw_background",
    "draw_candidates",
    "draw_inset",
    "draw_services",
    "draw_zones",
    "label_points",
    "luminance",
    "outline_effect",
    "tile_note",
    "unplaced_note",
]


CENTRE_XY = (597_600.0, 6_643_300.0)
"""Middle of the city-centre inset (Jernbanetorget/Vaterland area), EPSG:25832."""


CENTRE_HALF_WIDTH_M = 1_600.0


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


def draw_zones(
    ax: Axes,
    zones: gpd.GeoDataFrame,
    facecolor: Any = OSLO_PALETTE["beige"],
    labels: bool = True,
    font_size: float = 6.5,
    label_colors: Sequence[str] | None = None,
    clip_box: Sequence[float] | None = None,
) -> Line2D:
    """Bydel polygons with boundaries and (optionally) names; returns the legend handle."""
    zones.plot(ax=ax, color=facecolor, edgecolor=INK, linewidth=0.6, zorder=1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if labels:
        geometries = zones.geometry
        if clip_box is not None:
            geometries = geometries.intersection(shapely.box(*clip_box))
        points = label_points(geometries)
        for k, (name, point) in enumerate(zip(zones["zone"], points, strict=True)):
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
        style = category_style(slug)
        color, marker = style.colour, style.marker
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


def tile_note(background: str, tiles: bool) -> list[str]:
    """A note for the map's footer when background tiles were asked for but could not be had."""
    if background == "tiles" and not tiles:
        return ["Bakgrunnskart var ikke tilgjengelig (uten nett) – enkel vektorbakgrunn er brukt."]
    return []


def unplaced_note(services: gpd.GeoDataFrame, categories: Sequence[str] | None) -> list[str]:
    """A note naming how many services of the chosen categories have no known location."""
    chosen = services if not categories else services[services["category"].isin(list(categories))]
    missing = chosen[chosen.geometry.isna() | chosen.geometry.is_empty]
    if len(missing) == 0:
        return []
    names = ", ".join(missing["name"].astype(str).tolist()[:4])
    more = " m.fl." if len(missing) > 4 else "."
    return [f"Ikke vist (ukjent plassering): {len(missing)} tilbud – {names}{more}"]


def displaced_entry(
    ax: Axes, services: gpd.GeoDataFrame, marker_size: float
) -> list[tuple[Any, str]]:
    """The legend entry explaining markers fanned out around a shared address (if any)."""
    if len(services) < 2:
        return []
    xy = np.column_stack([services.geometry.x, services.geometry.y])
    _, moved = displaced_xy(xy, marker_size * metres_per_point(ax))
    if not moved.any():
        return []
    handle = Line2D([], [], color=INK, linewidth=0.5, marker=".", markersize=3, markevery=[0])
    return [(handle, "Tilbud tett i tett er flyttet ut\ni ring; strek til riktig sted")]


def outline_effect() -> list[Any]:
    """A dark halo for outlines drawn over a coloured map."""
    return [patheffects.Stroke(linewidth=2.8, foreground=INK), patheffects.Normal()]


def area_outline(ax: Axes, area: gpd.GeoSeries, color: str, linestyle: str) -> None:
    """Draw the outline of a service area in the given colour and line style."""
    if len(area) == 0 or area.is_empty.all():
        return
    area.boundary.plot(
        ax=ax,
        color=color,
        linewidth=1.5,
        linestyle=linestyle,
        zorder=4,
        path_effects=outline_effect(),
    )


def draw_candidates(ax: Axes, candidates: gpd.GeoDataFrame, size: float, font_size: float) -> None:
    """Draw candidate sites as numbered dashed rings."""
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


def luminance(rgb: Sequence[float]) -> float:
    """Relative luminance of an RGB colour (0 dark – 1 light), to pick a readable label colour."""
    r, g, b = rgb[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
