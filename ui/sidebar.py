"""The sidebar: analysis settings and own data."""

from __future__ import annotations

import streamlit as st

from geo import settings
from geo.data.boundaries import BOUNDARY_VERSIONS, DEFAULT_VERSION
from geo.data.study_area import STUDY_AREAS
from geo.data.zones import ZONE_SETS
from geo.labels import CATEGORIES, MAP_METRICS, METRIC_HELP, METRIC_LABELS, NEED_BASIS, safe_text
from geo.names import BYDEL_CODES
from geo.workspace import uploads
from geo.workspace.candidates import candidates_from_sites
from geo.workspace.settings import AnalysisSettings
from ui.state import flash, load_study, need_available, population_years, session, state

DISTANCES = {"straight": "Luftlinje", "network": "Gangnett (OSM)"}


def sidebar() -> AnalysisSettings:
    """Analysis settings and own data; returns the chosen settings."""
    sb = st.sidebar
    sb.title("Oslo-dekning")
    sb.caption("Lavterskel rus- og skadereduksjonstilbud mot bydeler og befolkning.")
    cats = sb.multiselect(
        "Tjenestekategorier",
        list(CATEGORIES),
        placeholder="Velg kategorier",
        default=st.session_state.get("cats_default", ["brukerrom"]),
        format_func=CATEGORIES.get,
        help="Hvilke tilbud som teller som «et tilbud» i målene.",
        key="cats",
    )
    distance = sb.radio(
        "Avstand",
        list(DISTANCES),
        format_func=DISTANCES.get,
        horizontal=True,
        key="distance",
        help="Gangnett krever et lagret gangnett i datamappen; ellers brukes luftlinje, og det står i alle resultater.",
    )
    unreached = "fallback"
    if distance == "network":
        unreached = sb.radio(
            "Soner gangnettet ikke når",
            ["fallback", "exclude"],
            format_func={"fallback": "luftlinje, merket", "exclude": "utelat"}.get,
            horizontal=True,
            key="unreached",
            help="En sone måles langs gangnettet når nettet når minst 95 % av innbyggerne. "
            "Ellers måles den i luftlinje (merket i tabellen) eller utelates med grunnen.",
        )
    threshold = sb.slider(
        "Terskel (meter)",
        100,
        2000,
        500,
        50,
        key="threshold",
        help="Avstanden innbyggerne regnes som «innen rekkevidde» innenfor.",
    )
    speed = sb.number_input(
        "Ganghastighet (km/t)", 2.0, 7.0, settings.DEFAULT_WALK_SPEED_KMH, 0.5, key="speed"
    )
    sb.caption(
        f"{threshold} m ≈ {threshold / settings.walk_metres_per_minute(speed):.0f} min gange".replace(
            ".", ","
        )
    )
    years = population_years()
    year = sb.selectbox(
        "Befolkningsår",
        years,
        index=len(years) - 1,
        key="population_year",
        help="Innbyggere per 1. januar (SSB). Hvor de bor, er SSBs rutenett fra 2015, skalert til "
        "bydelens tall for året.",
    )
    bases = [
        "innbyggere",
        *([NEED_BASIS] if need_available() else []),
        *session().weight_columns(),
    ]
    basis = sb.selectbox(
        "Befolkningsgrunnlag",
        bases,
        format_func=_basis_label,
        key="basis",
        help="Innbyggere; innbyggere vektet med bydelens andel sosialhjelpsmottakere (et mål på "
        "behov, ikke antall i målgruppen); eller en tallkolonne fra opplastede brukerdata.",
    )
    version = sb.selectbox(
        "Grenseversjon",
        list(BOUNDARY_VERSIONS),
        index=list(BOUNDARY_VERSIONS).index(DEFAULT_VERSION),
        format_func=lambda v: (
            f"{v} – {BOUNDARY_VERSIONS[v].label}" if hasattr(BOUNDARY_VERSIONS[v], "label") else v
        ),
        key="boundary_version",
    )
    zone_set = sb.selectbox(
        "Soneinndeling",
        list(ZONE_SETS),
        format_func=lambda key: ZONE_SETS[key].label,
        key="zone_set",
        help="Bydeler (i dag), de 97 delbydelene, eller bydelsreformens forslag A (høring 2025, "
        "ikke vedtatt; Sentrum er ikke tildelt noen ny bydel i forslaget).",
    )
    area_key = sb.selectbox(
        "Studieområde",
        [*STUDY_AREAS, "egen"],
        format_func=lambda key: STUDY_AREAS[key].label if key in STUDY_AREAS else "Egne bydeler",
        key="study_area",
        help="Sentrum og sentrumsbydelene: Sentrum, Gamle Oslo, Grünerløkka, St. Hanshaugen og "
        "Sagene. Innbyggere, kandidater og mål begrenses til området.",
    )
    area_bydeler: tuple[str, ...] = ()
    if area_key == "egen":
        chosen = sb.multiselect(
            "Bydeler i området",
            list(BYDEL_CODES)[:16],
            default=list(STUDY_AREAS["sentrum"].bydel_codes),
            format_func=BYDEL_CODES.get,
            key="area_bydeler",
        )
        area_bydeler = tuple(chosen) or STUDY_AREAS["sentrum"].bydel_codes
    metric = sb.selectbox(
        "Kartet farges etter",
        MAP_METRICS,
        format_func=METRIC_LABELS.get,
        key="metric",
        help=METRIC_HELP.get(st.session_state.get("metric", MAP_METRICS[0]), ""),
    )
    # drawn when opened: the page's first load then needs no upload code in the browser
    own = sb.expander("Egne data", key="open_own_data", on_change="rerun")
    if own.open:
        with own:
            _own_data()
    if not cats:
        sb.warning("Velg minst én kategori; bruker brukerrom.")
        cats = ["brukerrom"]
    return AnalysisSettings(
        categories=tuple(cats),
        distance=distance,
        threshold_m=float(threshold),
        speed_kmh=float(speed),
        weight_basis=basis,
        boundary_version=version,
        metric=metric,
        population_year=int(year) if year != years[-1] else None,
        unreached=unreached,
        zone_set=zone_set,
        study_area=area_key,
        area_bydeler=area_bydeler,
    )


def _own_data() -> None:
    """Uploads of services, candidates and user data, and the fictitious example candidates."""
    st.caption(
        f"{uploads.upload_limit_text()} CSV (komma/semikolon), XLSX, "
        "GeoJSON, GeoPackage eller zippet Shapefile."
    )
    upload_box("services", "Tjenester (legges til registeret)")
    upload_box("candidates", "Kandidatsteder")
    upload_box("userdata", "Brukerdata (besøk, brukere per bydel, hendelser)")
    if st.button("Last FIKTIVE eksempelkandidater", key="load_example"):
        load_example_candidates()


def _basis_label(basis: str) -> str:
    if basis == "innbyggere":
        return "Innbyggere (SSB)"
    if basis == NEED_BASIS:
        return "Behov: innbyggere × andel sosialhjelp (2023)"
    return f"Brukerdata: {basis}"


def upload_box(kind: str, label: str) -> None:
    """One uploader; a new file is read once, its problems kept, good rows merged."""
    file = st.file_uploader(label, key=f"upload_{kind}")
    if file is not None and file.file_id not in state().seen_uploads:
        state().seen_uploads.add(file.file_id)
        result = uploads.read_upload(file.name, file.getvalue(), kind)
        study = load_study(st.session_state.get("boundary_version", DEFAULT_VERSION))
        session().accept_upload(kind, file.name, result, study.bydeler)
    entry = session().uploads.get(kind)
    if entry is None:
        return
    level, status, problems = entry.level, entry.message, entry.problems
    with st.container(key=f"problems_{kind}"):
        getattr(st, level)(status)
        if len(problems):
            name = safe_text(problems.attrs.get("file", "filen"))
            st.markdown(f"**Problemer i {name}** ({len(problems)})")
            # a plain table: readable, escaped, and capped
            st.table(problems.head(200).astype(str))
            if len(problems) > 200:
                st.caption(f"Viser 200 av {len(problems)} problemer.")


def load_example_candidates() -> None:
    """Add the FICTITIOUS example candidates from ``data/candidates_example.csv``."""
    study = load_study(st.session_state.get("boundary_version", DEFAULT_VERSION))
    result = uploads.read_upload(
        "candidates_example.csv",
        (settings.PROJECT_ROOT / "data" / "candidates_example.csv").read_bytes(),
        "candidates",
    )
    session().candidates, _notes = candidates_from_sites(
        result.frame, session().candidates, study.bydeler, "brukerrom", "FIKTIVT eksempel"
    )
    flash(
        "info", "Eksempelkandidatene er FIKTIVE (stasjonspunkter), ikke forslag fra Oslo kommune."
    )
