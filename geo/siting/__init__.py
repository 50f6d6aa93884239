"""Suggesting sites: the coverage model, its solvers (greedy, exact MCLP, maximin), candidates, explanations.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.siting.candidates import (
    candidate_ids_of,
    coverage_matrix,
    exclude_zones,
    grid_candidates,
    node_candidates,
    select_bydeler,
)
from geo.siting.explain import (
    SuggestionExplanation,
    explain_suggestion,
)
from geo.siting.maximin import (
    min_share,
    solve_maximin,
    tradeoff,
)
from geo.siting.mclp import (
    solve_enumeration,
    solve_exact,
    solve_greedy,
)
from geo.siting.model import (
    BRUKERROM,
    METHODS,
    CoverageModel,
    SiteContext,
    SitingResult,
)
from geo.siting.suggest import (
    DEFAULT_TIME_LIMIT_S,
    SiteRequest,
    Suggestion,
    chosen_sites,
    suggest_sites,
)

__all__ = [
    "BRUKERROM",
    "DEFAULT_TIME_LIMIT_S",
    "METHODS",
    "CoverageModel",
    "SiteContext",
    "SiteRequest",
    "SitingResult",
    "Suggestion",
    "SuggestionExplanation",
    "candidate_ids_of",
    "chosen_sites",
    "coverage_matrix",
    "exclude_zones",
    "explain_suggestion",
    "grid_candidates",
    "min_share",
    "node_candidates",
    "select_bydeler",
    "solve_enumeration",
    "solve_exact",
    "solve_greedy",
    "solve_maximin",
    "suggest_sites",
    "tradeoff",
]
