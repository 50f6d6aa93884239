"""The reference data: dataset registry, boundaries, zone sets, population, services and the study.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.data.boundaries import (
    BOUNDARY_VERSIONS,
    DEFAULT_VERSION,
    BoundaryVersion,
    assign_bydel,
    load_bydeler,
    load_delbydeler,
    register_boundary_file,
)
from geo.data.datasets import (
    DATASETS,
    GEOCODER_URL,
    TILE_ATTRIBUTION,
    Dataset,
    dataset_path,
    fetch,
    find_dataset,
    list_datasets,
    source_line,
)
from geo.data.groups import (
    BYDEL_GROUPS_FILE,
    CENTRAL_GROUP,
    central_codes,
    load_bydel_groups,
)
from geo.data.population import (
    DISTRIBUTION_NOTE,
    RESTRICT_NOTE,
    demand_points,
    load_population,
    restrict_demand,
)
from geo.data.services import (
    COORD_QUALITIES,
    REQUIRED_COLUMNS,
    SERVICE_COLUMNS,
    empty_registry,
    load_candidates,
    load_services,
    located,
    normalise_category,
    read_services,
    validate_services,
)
from geo.data.study import (
    Study,
    with_bydel,
)

__all__ = [
    "BOUNDARY_VERSIONS",
    "BYDEL_GROUPS_FILE",
    "CENTRAL_GROUP",
    "COORD_QUALITIES",
    "DATASETS",
    "DEFAULT_VERSION",
    "DISTRIBUTION_NOTE",
    "GEOCODER_URL",
    "REQUIRED_COLUMNS",
    "RESTRICT_NOTE",
    "SERVICE_COLUMNS",
    "TILE_ATTRIBUTION",
    "BoundaryVersion",
    "Dataset",
    "Study",
    "assign_bydel",
    "central_codes",
    "dataset_path",
    "demand_points",
    "empty_registry",
    "fetch",
    "find_dataset",
    "list_datasets",
    "load_bydel_groups",
    "load_bydeler",
    "load_candidates",
    "load_delbydeler",
    "load_population",
    "load_services",
    "located",
    "normalise_category",
    "read_services",
    "register_boundary_file",
    "restrict_demand",
    "source_line",
    "validate_services",
    "with_bydel",
]
