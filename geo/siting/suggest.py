"""Suggest sites for a study: candidates, model, solve, explain — for the app and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo.data.groups import load_bydel_groups
from geo.data.services import located
from geo.data.study import Study, with_bydel, with_zone
from geo.distance import DistanceEngine
from geo.geom import to_analysis_crs
from geo.names import BYDEL_CODES
from geo.siting.candidates import exclude_zones, grid_candidates, select_bydeler
from geo.siting.explain import SuggestionExplanation, explain_suggestion
from geo.siting.model import METHODS, CoverageModel, SitingResult

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "SiteRequest",
    "Suggestion",
    "chosen_sites",
    "suggest_sites",
]


DEFAULT_TIME_LIMIT_S = 2.0
"""How long a solver may run for the app and the CLI; when it stops there, the result says so
with its gap (a valid suggestion, perhaps not the best)."""


@dataclass
class Suggestion:
    """Everything :func:`suggest_sites` produced (for the app and the CLI)."""

    model: CoverageModel
    result: SitingResult
    explanation: SuggestionExplanation
    candidates: gpd.GeoDataFrame
    notes: list[str]


@dataclass(frozen=True)
class SiteRequest:
    """What a planner asks for: how many sites, by which objective, where, against what.

    Attributes
    ----------
    threshold_m
        Coverage threshold, metres.
    p
        Number of new sites.
    method
        ``enumerate`` (p = 1), ``greedy``, ``exact`` or ``maximin``.
    categories
        Service categories that count as existing coverage (e.g. ``("brukerrom",)`` for
        Brukerrom 2); all when ``None``.
    grid_m
        Spacing of the candidate grid when no candidates are given (250 m by default).
    within_codes
        Bydeler (codes or names) the candidates must lie in; the whole city when ``None``.
    exclusion_buffer_m
        Distance kept from exclusion zones (:func:`geo.siting.candidates.exclude_zones`).
    time_limit_s
        HiGHS time limit for ``exact`` and ``maximin``.
    balance_level
        For ``maximin``: ``bydel`` (minimum over bydeler) or ``group`` (over the bydel groups of
        ``data/bydel_groups.csv``).

    """

    threshold_m: float = settings.DEFAULT_THRESHOLD_M
    p: int = 1
    method: str = "greedy"
    categories: Sequence[str] | None = None
    grid_m: float | None = None
    within_codes: Sequence[str] | None = None
    exclusion_buffer_m: float = 0.0
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    balance_level: str = "bydel"


def _in_zones(candidates: gpd.GeoDataFrame, study: Study) -> gpd.GeoDataFrame:
    """The candidates inside the study's zones (its study area), with their ``zone_code``."""
    placed = with_zone(candidates, study.zones)
    return placed[placed["zone_code"].notna()].reset_index(drop=True)


def _grid_candidates(
    study: Study, request: SiteRequest, exclusion: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    spacing = request.grid_m or 250.0
    codes = request.within_codes
    cand = grid_candidates(study.bydeler, spacing, codes, exclusion, request.exclusion_buffer_m)
    cand = _in_zones(cand, study)
    where = f" i {', '.join(BYDEL_CODES.get(c, c) for c in codes)}" if codes else ""
    return cand, [
        f"Kandidater: rutenett med {spacing:g} m mellom punktene{where} ({len(cand)} punkter)."
    ]


def _file_candidates(
    study: Study,
    request: SiteRequest,
    candidates: gpd.GeoDataFrame,
    exclusion: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    cand = with_bydel(to_analysis_crs(candidates), study.bydeler)
    if request.within_codes:
        keep = select_bydeler(study.bydeler, request.within_codes)["bydel_code"]
        cand = cand[cand["bydel_code"].isin(set(keep))]
    if exclusion is not None and len(exclusion):
        cand = exclude_zones(cand, exclusion, request.exclusion_buffer_m)
    cand = _in_zones(cand, study)
    notes = [f"Kandidater: {len(cand)} steder fra fil."]
    fictitious = int((cand["coord_quality"] == "fiktiv").sum()) if "coord_quality" in cand else 0
    if fictitious:
        notes.append(
            f"{fictitious} av kandidatene er FIKTIVE eksempler (ikke forslag fra Oslo kommune)."
        )
    return cand, notes


def suggest_sites(
    study: Study,
    engine: DistanceEngine,
    request: SiteRequest = SiteRequest(),
    candidates: gpd.GeoDataFrame | None = None,
    exclusion: gpd.GeoDataFrame | None = None,
    weights: np.ndarray | None = None,
) -> Suggestion:
    """Suggest sites for a study: candidates, model, solve, explain.

    Parameters
    ----------
    study
        Loaded reference data (:class:`geo.data.study.Study`).
    engine
        Distance engine over ``study.demand``.
    request
        How many sites, which objective, where, against which categories (:class:`SiteRequest`).
    candidates
        Candidate points (uploaded); when ``None`` a grid of ``request.grid_m`` metres inside
        ``request.within_codes`` is generated.
    exclusion
        Zones where no site may be placed (:func:`geo.siting.candidates.exclude_zones`).
    weights
        Demand weights replacing residents (user data).

    """
    if request.method not in METHODS:
        raise ValueError(f"Ukjent metode «{request.method}»; bruk {', '.join(METHODS)}.")
    if candidates is not None and len(candidates) == 0:
        raise ValueError("Kandidatfilen har ingen steder med koordinater.")
    cand, notes = (
        _grid_candidates(study, request, exclusion)
        if candidates is None
        else _file_candidates(study, request, candidates, exclusion)
    )
    if exclusion is not None and len(exclusion):
        notes.append(f"Utelukkede soner fjernet {cand.attrs.get('excluded', 0)} kandidater.")
    if len(cand) < request.p:
        raise ValueError(f"Det er bare {len(cand)} kandidater; kan ikke velge {request.p}.")
    categories = list(request.categories) if request.categories else None
    existing = located(study.services, categories)
    demand = study.demand if weights is None else study.demand.assign(weight=weights)
    model = CoverageModel.from_geodataframe(
        demand, cand, engine, request.threshold_m, existing_sites=existing
    )
    kwargs: dict[str, Any] = {}
    if request.method == "maximin" and request.balance_level == "group":
        kwargs["group_map"] = load_bydel_groups().to_dict()
    result = model.solve(request.method, request.p, request.time_limit_s, **kwargs)
    explanation = explain_suggestion(
        model, result, weight_label="innbyggere" if weights is None else "brukere"
    )
    if not len(existing):
        notes.append("Ingen eksisterende tilbud i de valgte kategoriene har kjent plassering.")
    return Suggestion(model, result, explanation, cand, notes + result.notes)


def chosen_sites(suggestion: Suggestion, crs: str = settings.DISPLAY_CRS) -> gpd.GeoDataFrame:
    """The suggested sites as points (EPSG:4326 by default, for the app's map) with their explanation.

    Columns are those of :attr:`SuggestionExplanation.sites` plus ``rank`` (order chosen) and
    ``note`` stating that these are suggestions from the model, not decided locations.
    """
    sites = suggestion.explanation.sites.copy()
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    sites["note"] = "Forslag fra dekningsmodellen – ikke et vedtatt eller vurdert sted."
    frame = gpd.GeoDataFrame(
        sites,
        geometry=shapely.points(sites["x"].to_numpy(), sites["y"].to_numpy()),
        crs=settings.ANALYSIS_CRS,
    )
    return frame.to_crs(crs)
