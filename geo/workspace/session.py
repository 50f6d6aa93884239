"""One planner's session without Streamlit: own data, candidates, caches, uploads and restore.

The app keeps one :class:`Session` per browser tab (in ``st.session_state``) and only wires
widgets to its methods, so everything a planner can do is plain Python that unit tests reach:

* :meth:`Session.accept_upload` merges the good rows of an upload and never drops what was
  loaded before (a file with no usable row changes nothing);
* :meth:`Session.whatif` returns the what-if engine for the settings, rebuilt only when the
  settings or the session's own data change (:attr:`Session.data_version`);
* :meth:`Session.comparison` compares the candidates alone and together, recomputing only the
  scenarios whose sites moved (:attr:`Session.scenario_cache`);
* :meth:`Session.balance` caches today's balance measures per what-if engine;
* :meth:`Session.click`, :meth:`Session.edit_candidates` apply map clicks and table edits;
* :meth:`Session.restore` reopens a stored scenario (candidates + settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.balance import current_balance
from geo.analysis.scenario_result import ScenarioResult
from geo.analysis.whatif import WhatIf
from geo.data.study import Study, with_bydel, with_zone
from geo.distance import DistanceEngine
from geo.geom import map_click_to_xy, xy_of
from geo.inputs.problems import LoadResult
from geo.labels import safe_text
from geo.scenarios import Scenario
from geo.workspace.candidates import (
    add_candidate,
    candidates_from_sites,
    clean_name,
    empty_candidates,
    move_candidate,
    remove_candidates,
    rename_candidate,
    with_candidate_columns,
)
from geo.workspace.compare import CandidateComparison, build_whatif, compare_candidates
from geo.workspace.settings import AnalysisSettings, user_data_weights

T = TypeVar("T")

__all__ = [
    "UPLOAD_KINDS",
    "Session",
    "UploadStatus",
    "study_with_services",
]

UPLOAD_KINDS = ("services", "candidates", "userdata")
"""What a planner can upload: services (added to the registry), candidates and user data."""


def study_with_services(study: Study, extra: gpd.GeoDataFrame | None) -> Study:
    """The study with uploaded services added to the registry (the file's own rows untouched)."""
    if extra is None or not len(extra):
        return study
    added = with_zone(with_bydel(extra.to_crs(settings.ANALYSIS_CRS), study.bydeler), study.zones)
    services = pd.concat([study.services, added], ignore_index=True)
    return replace(study, services=gpd.GeoDataFrame(services, crs=settings.ANALYSIS_CRS))


@dataclass(frozen=True)
class UploadStatus:
    """What became of one upload: ``level`` (``success``/``error``), a message and the problems."""

    level: str
    message: str
    problems: pd.DataFrame


@dataclass
class Session:
    """One planner's working state (the app holds one per browser session).

    Attributes
    ----------
    candidates
        Candidate sites (EPSG:25832, :data:`geo.workspace.candidates.CANDIDATE_COLUMNS`).
    extra_services
        Services uploaded in this session, added to the registry.
    user_data
        The last user-data upload (aggregated per bydel or points).
    uploads
        The status of the last upload of each kind.
    data_version
        Bumped whenever ``extra_services`` or ``user_data`` change; part of every cache key.
    messages
        ``(level, text)`` messages to show once on the next run.

    """

    candidates: gpd.GeoDataFrame = field(default_factory=empty_candidates)
    extra_services: gpd.GeoDataFrame | None = None
    user_data: LoadResult | None = None
    uploads: dict[str, UploadStatus] = field(default_factory=dict)
    data_version: int = 0
    messages: list[tuple[str, str]] = field(default_factory=list)
    last_click: tuple[float, float] | None = None
    scenario_cache: dict[Any, ScenarioResult] = field(default_factory=dict)
    _whatif: tuple[Any, WhatIf] | None = None
    _remembered: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    # ------------------------------------------------------------------ own data
    def remembered(self, name: str, key: Any, compute: Callable[[], T]) -> T:
        """The result of ``compute`` for ``name``, computed again only when ``key`` changes.

        For views that depend on the settings and this session's data only (the zone-set and
        concentration sections): switching tabs or moving a slider elsewhere reuses them.
        """
        held = self._remembered.get(name)
        if held is None or held[0] != key:
            held = (key, compute())
            self._remembered[name] = held
        return cast(T, held[1])

    def candidates_key(self) -> bytes:
        """Where the candidates are and what they are called, as one comparable value."""
        names = "\x1f".join(map(str, self.candidates["name"].tolist()))
        return xy_of(self.candidates).tobytes() + names.encode()

    def flash(self, level: str, text: str) -> None:
        """Keep a message to show once on the next run."""
        self.messages.append((level, text))

    def take_messages(self) -> list[tuple[str, str]]:
        """The messages kept so far (and forget them)."""
        out, self.messages = self.messages, []
        return out

    def accept_upload(
        self, kind: str, name: str, result: LoadResult, bydeler: gpd.GeoDataFrame
    ) -> UploadStatus:
        """Merge the good rows of an upload; what was loaded before is kept when nothing is good.

        Parameters
        ----------
        kind
            One of :data:`UPLOAD_KINDS`.
        name
            The file name as the browser sent it (escaped before it is shown).
        result
            What :func:`geo.workspace.uploads.read_upload` made of the file.
        bydeler
            Bydel polygons: candidates outside Oslo are refused with a message.

        """
        if kind not in UPLOAD_KINDS:
            raise ValueError(f"Ukjent opplastingstype «{kind}».")
        problems = result.problems_frame()
        problems.attrs["file"] = name
        shown_name = safe_text(name)
        frame = result.frame
        if not len(frame):
            status = UploadStatus(
                "error",
                f"Ingen brukbare rader i {shown_name}; det du hadde fra før er beholdt.",
                problems,
            )
            self.uploads[kind] = status
            return status
        if kind == "services":
            before = self.extra_services
            self.extra_services = (
                frame if before is None else pd.concat([before, frame], ignore_index=True)
            )
            self.data_version += 1
        elif kind == "candidates":
            self.candidates, notes = candidates_from_sites(
                frame, self.candidates, bydeler, "brukerrom", f"fil {name}"
            )
            for note in notes[:5]:
                self.flash("warning", note)
        else:
            self.user_data = result
            self.data_version += 1
        status = UploadStatus(
            "success",
            f"{shown_name}: {len(frame)} rader lest, {len(result.errors)} hoppet over.",
            problems,
        )
        self.uploads[kind] = status
        return status

    def weight_columns(self) -> list[str]:
        """Numeric user-data columns that can replace residents as the weight."""
        if self.user_data is None:
            return []
        frame = self.user_data.frame
        return [
            str(c)
            for c in frame.columns
            if c not in ("geometry", "bydel_code") and pd.api.types.is_numeric_dtype(frame[c])
        ]

    # ------------------------------------------------------------------ analysis
    def study(self, study: Study) -> Study:
        """The shared study with this session's own services added."""
        return study_with_services(study, self.extra_services)

    def weights(self, study: Study, analysis: AnalysisSettings) -> np.ndarray | None:
        """Demand weights of the chosen basis (``None`` for residents)."""
        user = self.user_data
        return user_data_weights(
            study,
            user.frame if user is not None else None,
            analysis.weight_basis,
            user.kind if user is not None else "aggregate",
        )

    def whatif(self, study: Study, engine: DistanceEngine, analysis: AnalysisSettings) -> WhatIf:
        """The what-if engine for the settings, rebuilt only when they or the own data change.

        ``study`` is the shared study; this session's services are added here.
        """
        key = (analysis.cache_key(), self.data_version, id(engine))
        if self._whatif is None or self._whatif[0] != key:
            own = self.study(study)
            self._whatif = (key, build_whatif(own, engine, analysis, self.weights(own, analysis)))
            self.scenario_cache = {}
            self._remembered.pop("balance", None)
        return self._whatif[1]

    def comparison(self, whatif: WhatIf, analysis: AnalysisSettings) -> CandidateComparison:
        """The candidates alone and together against today (only moved ones are recomputed)."""
        return compare_candidates(
            whatif, self.candidates, analysis.candidate_category, self.scenario_cache
        )

    def balance(
        self, study: Study, engine: DistanceEngine, whatif: WhatIf, analysis: AnalysisSettings
    ) -> pd.DataFrame:
        """Today's balance measures, computed once per what-if engine."""

        def compute() -> pd.DataFrame:
            # the weights the what-if engine already spread from the user data
            weights = (
                whatif.demand["weight"].to_numpy(dtype=float)
                if whatif.table_attrs.get("weight_basis", "innbyggere") != "innbyggere"
                else None
            )
            summary, _ = current_balance(
                self.study(study),
                engine,
                analysis.threshold_m,
                list(analysis.categories),
                weights=weights,
            )
            return summary

        # the what-if engine it was computed for (forgotten when that engine is rebuilt)
        return self.remembered("balance", id(whatif), compute)

    # ------------------------------------------------------------------ candidates
    def click(
        self,
        lat: float,
        lon: float,
        mode: str,
        bydeler: gpd.GeoDataFrame,
        category: str,
        move_id: str | None = None,
    ) -> str | None:
        """Add (``mode="add"``) or move (``"move"``) a candidate at a clicked map point.

        The same point twice in a row is ignored (the map reports its last click on every run).
        Returns a bokmål warning when the point cannot be used, else ``None``.
        """
        point = (round(float(lat), 6), round(float(lon), 6))
        if point == self.last_click:
            return None
        self.last_click = point
        x, y = map_click_to_xy(*point)
        try:
            if mode == "move" and move_id:
                self.candidates = move_candidate(self.candidates, move_id, x, y, bydeler)
            elif mode == "add":
                self.candidates = add_candidate(self.candidates, x, y, bydeler, category=category)
        except ValueError as exc:
            return str(exc)
        return None

    def edit_candidates(self, names: pd.Series, remove: pd.Series) -> bool:
        """Apply the candidate table's edits: new names and ticked rows removed.

        Parameters
        ----------
        names, remove
            Indexed by candidate id: the name in the table, and whether "remove" is ticked.

        Returns
        -------
        bool
            True when something changed.

        """
        out = self.candidates
        changed = False
        current = out.set_index("id")["name"].astype(str)
        for cand_id, name in names.items():
            if cand_id in current.index and str(name) != current[cand_id]:
                out = rename_candidate(out, str(cand_id), str(name))
                changed = True
        drop = [str(cand_id) for cand_id, flag in remove.items() if bool(flag)]
        if drop:
            out = remove_candidates(out, drop)
            changed = True
        if changed:
            self.candidates = out
        return changed

    def clear_candidates(self) -> None:
        """Remove every candidate."""
        self.candidates = empty_candidates()

    # ------------------------------------------------------------------ scenarios
    def scenario(self, name: str, author: str, analysis: AnalysisSettings) -> Scenario:
        """The candidates and settings as a scenario to store."""
        return Scenario(
            clean_name(name, ""),
            clean_name(author, "ukjent"),
            with_candidate_columns(self.candidates),
            analysis.to_dict(),
        )

    def restore(self, scenario: Scenario) -> AnalysisSettings:
        """Reopen a stored scenario: its candidates replace the current ones; returns its settings."""
        self.candidates = (
            with_candidate_columns(scenario.candidates.to_crs(settings.ANALYSIS_CRS))
            if len(scenario.candidates)
            else empty_candidates()
        )
        self.last_click = None
        return AnalysisSettings.from_dict(scenario.settings)
