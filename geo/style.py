"""One palette: per category a colour, a print marker and a web icon; fonts and colour maps.

The web map (:mod:`geo.maps.web`) and the print maps (:mod:`geo.maps.compose`) take every colour
from here, so a category looks the same on screen and on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.colors import LinearSegmentedColormap

__all__ = [
    "CANDIDATE_ICON",
    "CATEGORY_STYLE",
    "FONT_FAMILY",
    "INK",
    "NO_DATA_COLOUR",
    "OSLO_PALETTE",
    "RC_PARAMS",
    "SEQUENTIAL_CMAP",
    "CategoryStyle",
    "category_style",
]


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


RC_PARAMS: dict[Any, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "font.family": FONT_FAMILY,
    "axes.unicode_minus": False,
}


@dataclass(frozen=True)
class CategoryStyle:
    """How one service category is drawn: a colour, a print marker and a web icon."""

    colour: str
    """Fill colour (Oslo kommune's palette), the same on screen and on paper."""
    marker: str
    """matplotlib marker of the print maps; differs where two categories share a colour."""
    icon: str
    """Font Awesome 6 solid icon of the web map; differs where two categories share a colour."""


CATEGORY_STYLE: dict[str, CategoryStyle] = {
    "brukerrom": CategoryStyle(OSLO_PALETTE["red"], "o", "house-medical"),
    "sproyteutdeling": CategoryStyle(OSLO_PALETTE["yellow"], "s", "syringe"),
    "sproyteboks": CategoryStyle(OSLO_PALETTE["yellow"], "v", "box"),
    "helsetilbud": CategoryStyle(OSLO_PALETTE["green"], "P", "kit-medical"),
    "lasso": CategoryStyle(OSLO_PALETTE["blue"], "D", "prescription-bottle-medical"),
    "rusmiddelanalyse": CategoryStyle(OSLO_PALETTE["light_blue"], "^", "flask"),
    "moteplass": CategoryStyle(OSLO_PALETTE["dark_blue"], "o", "mug-hot"),
    "overnatting": CategoryStyle(OSLO_PALETTE["light_green"], "h", "bed"),
    "oppsokende": CategoryStyle(OSLO_PALETTE["blue"], "*", "person-walking"),
    "annet": CategoryStyle(OSLO_PALETTE["beige"], "X", "circle-info"),
}
"""Per service category: colour, print marker and web icon (one table for every map)."""


def category_style(slug: str) -> CategoryStyle:
    """The style of a category (``annet`` for an unknown one)."""
    return CATEGORY_STYLE.get(slug, CATEGORY_STYLE["annet"])


SEQUENTIAL_CMAP = LinearSegmentedColormap.from_list(
    "oslo_blues",
    [OSLO_PALETTE["beige"], OSLO_PALETTE["light_blue"], OSLO_PALETTE["blue"], "#3b6fb6", INK],
)


CANDIDATE_ICON = "plus"


NO_DATA_COLOUR = "#bdbdbd"
