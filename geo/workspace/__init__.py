"""One planner's working state: settings, candidates, what they change, uploads and the session.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.workspace.candidates import (
    CANDIDATE_COLUMNS,
    MAX_CANDIDATES,
    add_candidate,
    candidates_from_sites,
    clean_name,
    empty_candidates,
    move_candidate,
    remove_candidates,
    rename_candidate,
    with_candidate_columns,
)
from geo.workspace.compare import (
    CandidateComparison,
    areas_around_sites,
    build_whatif,
    compare_candidates,
    located_sites,
)
from geo.workspace.session import (
    UPLOAD_KINDS,
    Session,
    UploadStatus,
    study_with_services,
)
from geo.workspace.settings import (
    AnalysisSettings,
    user_data_weights,
    weight_basis_kind,
)
from geo.workspace.uploads import (
    ALLOWED_SUFFIXES,
    GENERIC_ERROR,
    KINDS,
    MAX_NAME_CHARS,
    UploadKind,
    check_upload,
    clean_filename,
    read_upload,
    upload_limit_text,
)

__all__ = [
    "ALLOWED_SUFFIXES",
    "CANDIDATE_COLUMNS",
    "GENERIC_ERROR",
    "KINDS",
    "MAX_CANDIDATES",
    "MAX_NAME_CHARS",
    "UPLOAD_KINDS",
    "AnalysisSettings",
    "CandidateComparison",
    "Session",
    "UploadKind",
    "UploadStatus",
    "add_candidate",
    "areas_around_sites",
    "build_whatif",
    "candidates_from_sites",
    "check_upload",
    "clean_filename",
    "clean_name",
    "compare_candidates",
    "empty_candidates",
    "located_sites",
    "move_candidate",
    "read_upload",
    "remove_candidates",
    "rename_candidate",
    "study_with_services",
    "upload_limit_text",
    "user_data_weights",
    "weight_basis_kind",
    "with_candidate_columns",
]
