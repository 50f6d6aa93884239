"""One print map figure per kind (overview, choropleth, candidates), saved at paper size."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from geo.data.study import Study
from geo.maps.compose import candidate_map, choropleth_map, overview_map
from geo.maps.layout import PrintOptions, save_figure

__all__ = [
    "MAP_FORMATS",
    "MAP_KINDS",
    "build_map",
    "export_map",
]


MAP_KINDS = ("overview", "choropleth", "candidates")


MAP_FORMATS = ("png", "pdf", "svg")


def build_map(
    kind: str,
    study: Study,
    table: pd.DataFrame | None = None,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
    categories: Sequence[str] | None = None,
    options: PrintOptions = PrintOptions(),
) -> Figure:
    """Draw one map kind (``overview``, ``choropleth``, ``candidates``) for a study.

    ``options`` sets paper, orientation (each kind has its default), background, classes and
    an own title (:class:`geo.maps.layout.PrintOptions`).
    """
    if kind not in MAP_KINDS:
        raise ValueError(f"Ukjent karttype «{kind}». Gyldige: {', '.join(MAP_KINDS)}.")
    if kind == "overview":
        return overview_map(study.zones, study.services, categories=categories, options=options)
    if kind == "choropleth":
        if table is None:
            raise ValueError("Et temakart trenger en dekningstabell.")
        return choropleth_map(study.zones, table, metric, options=options)
    if table is None or scenario is None or candidates is None or len(candidates) == 0:
        raise ValueError(
            "Et kandidatkart trenger kandidatsteder (f.eks. --candidates data/candidates_example.csv)."
        )
    return candidate_map(
        study.zones, study.services, candidates, table, scenario, metric, options=options
    )


def export_map(out: str | Path, fig: Figure, fmt: str | None = None, dpi: float = 300) -> Path:
    """Save a map figure as PNG/PDF/SVG at exactly its paper size."""
    return save_figure(fig, out, fmt, dpi)
