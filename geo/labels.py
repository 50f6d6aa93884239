"""Every bokmål label, help text and note the app, the CLI and the exports show, and number formats.

One catalogue, so a metric is named and explained the same way on screen, in a table export and in
the PDF report.
"""

from __future__ import annotations

import html
import re
import unicodedata

import numpy as np

__all__ = [
    "ACCESS_LABELS",
    "BALANCE_CHANGE_LABELS",
    "BALANCE_HELP",
    "BALANCE_LABELS",
    "CATEGORIES",
    "DISTANCE_LABELS",
    "FORMATS",
    "GREEDY_GUARANTEE",
    "HIGHER_IS_BETTER",
    "MAP_METRICS",
    "METHOD_LABELS",
    "METRIC_HELP",
    "METRIC_LABELS",
    "MOVED_NOTE",
    "NEED_BASIS",
    "NEED_DATA_LABELS",
    "NEED_LABEL",
    "NOTE_ENGINE",
    "NOTE_FALLBACK",
    "NOTE_NETWORK",
    "NOTE_OFF_NETWORK",
    "NOTE_OFF_NETWORK_WALK",
    "NOTE_STRAIGHT",
    "SCENARIO_NAME",
    "SCENARIO_NOTE",
    "SOURCE_LABELS",
    "SUGGESTION_LABELS",
    "SUMMARY_LABELS",
    "TABLE_METRICS",
    "TERMINAL_METRICS",
    "USER_DATA_LABELS",
    "WEIGHT_BASIS_LABELS",
    "ZONE_NOUNS",
    "excerpt",
    "format_count",
    "format_mb",
    "format_metric",
    "format_number",
    "format_share",
    "metric_kind",
    "metric_label",
    "safe_text",
    "short_text",
    "strip_controls",
    "summary_labels",
    "zone_words",
]


CATEGORIES: dict[str, str] = {
    "brukerrom": "Brukerrom",
    "sproyteutdeling": "Sprøyteutdeling",
    "sproyteboks": "Sprøyteboks",
    "helsetilbud": "Helsetilbud/feltpleie",
    "lasso": "LASSO/substitusjon",
    "rusmiddelanalyse": "Rusmiddelanalyse",
    "moteplass": "Møteplass/aktivitetshus",
    "overnatting": "Overnatting",
    "oppsokende": "Oppsøkende",
    "annet": "Annet",
}
"""Category slug → bokmål label. Covers the measures of the action plan *Tryggere liv* 2026–2029."""


METRIC_LABELS: dict[str, str] = {
    "population": "Innbyggere",
    "n_services": "Antall tilbud",
    "services_per_10k": "Tilbud per 10 000 innb.",
    "residents_within_threshold": "Innbyggere innen terskel",
    "share_within_threshold": "Andel innen terskel",
    "mean_distance_m": "Gj.snittlig avstand (m)",
    "median_distance_m": "Medianavstand (m)",
    "p90_distance_m": "90-persentil avstand (m)",
    "median_walk_min": "Median gangtid (min)",
    "share_of_services": "Andel av byens tilbud",
    "share_of_population": "Andel av byens innbyggere",
    "location_quotient": "Lokaliseringskvotient",
    "network_share": "Andel gangnettet når",
    "distance_basis": "Avstand målt",
}
METRIC_LABELS.update({f"n_{slug}": f"Antall: {label}" for slug, label in CATEGORIES.items()})


METRIC_HELP: dict[str, str] = {
    "population": "Registrerte innbyggere i bydelen (eller summen av valgt vekt, f.eks. brukere).",
    "n_services": "Antall tilbud i de valgte kategoriene med kjent plassering i bydelen.",
    "services_per_10k": "Antall tilbud delt på innbyggere, ganget med 10 000.",
    "residents_within_threshold": "Innbyggere som har et tilbud innen valgt avstand.",
    "share_within_threshold": "Andelen av innbyggerne som har et tilbud innen valgt avstand.",
    "mean_distance_m": "Gjennomsnittlig avstand fra der folk bor til nærmeste tilbud.",
    "median_distance_m": "Halvparten av innbyggerne har kortere vei enn dette til nærmeste tilbud.",
    "p90_distance_m": "Ni av ti innbyggere har kortere vei enn dette til nærmeste tilbud.",
    "median_walk_min": "Medianavstanden gjort om til gangtid med valgt ganghastighet.",
    "share_of_services": "Bydelens andel av alle tilbudene i byen.",
    "share_of_population": "Bydelens andel av byens innbyggere.",
    "location_quotient": "Andel av tilbudene delt på andel av innbyggerne: 1 = byens snitt, under 1 = færre tilbud enn folketallet tilsier.",
    "network_share": "Andelen av innbyggerne som bor innen 300 m fra en gangbar vei i gangnettet (OpenStreetMap-uttrekket).",
    "distance_basis": "Hvordan avstandene i sonen er målt: langs gangnettet der det når minst 95 % av innbyggerne, ellers i luftlinje (eller utelatt) – alltid merket.",
}


HIGHER_IS_BETTER = {
    "n_services": True,
    "services_per_10k": True,
    "residents_within_threshold": True,
    "share_within_threshold": True,
    "mean_distance_m": False,
    "median_distance_m": False,
    "p90_distance_m": False,
    "median_walk_min": False,
    "location_quotient": True,
}


BALANCE_LABELS: dict[str, str] = {
    "gini": "Gini-koeffisient",
    "theil": "Theil-indeks",
    "theil_within": "Theil innen bydelsgrupper",
    "theil_between": "Theil mellom bydelsgrupper",
    "theil_between_share": "Andel av Theil mellom grupper",
    "min_value": "Laveste bydelsverdi",
    "max_value": "Høyeste bydelsverdi",
    "herfindahl": "Herfindahl-indeks",
    "herfindahl_normalised": "Normalisert Herfindahl-indeks",
    "central_service_share": "Sentrale bydelers andel av tilbudene",
    "central_population_share": "Sentrale bydelers andel av innbyggerne",
    "central_ratio": "Konsentrasjonsforhold sentrum",
    "location_quotient": "Lokaliseringskvotient",
    "lorenz": "Lorenzkurve",
}


BALANCE_HELP: dict[str, str] = {
    "gini": "Hvor ujevnt tilgangen er fordelt mellom bydelene, veid med innbyggere: 0 = helt likt, 1 = alt på én bydel.",
    "theil": "Ulikhet i tilgang mellom bydelene (0 = helt likt); kan deles i ulikhet innen og mellom bydelsgrupper.",
    "theil_within": "Den delen av Theil-indeksen som skyldes forskjeller mellom bydeler i samme bydelsgruppe.",
    "theil_between": "Den delen av Theil-indeksen som skyldes forskjeller mellom bydelsgruppene (indre by, ytre øst, ytre vest, ytre sør).",
    "theil_between_share": "Hvor stor del av ulikheten som ligger mellom bydelsgruppene heller enn innen dem.",
    "min_value": "Verdien for den bydelen som kommer dårligst ut.",
    "max_value": "Verdien for den bydelen som kommer best ut.",
    "herfindahl": "Hvor samlet tilbudene er på få bydeler: 1 = alle i én bydel, 1/antall bydeler = helt jevnt spredt.",
    "herfindahl_normalised": "Herfindahl-indeksen skalert til 0 (helt jevnt spredt) – 1 (alle tilbud i én bydel).",
    "central_service_share": "Hvor stor andel av tilbudene som ligger i indre by.",
    "central_population_share": "Hvor stor andel av innbyggerne (eller brukerne) som bor i indre by.",
    "central_ratio": "Indre bys andel av tilbudene delt på dens andel av innbyggerne: over 1 betyr at tilbudene er samlet sentralt.",
    "location_quotient": "Bydelens andel av tilbudene delt på andelen av innbyggerne: 1 = byens snitt, under 1 = færre tilbud enn folketallet tilsier.",
    "lorenz": "Kurven viser hvor stor andel av tilgangen de x % med dårligst tilgang har; jo lenger under diagonalen, jo skjevere.",
}
"""One bokmål sentence per metric, for the app's help texts."""


ACCESS_LABELS = {
    "access_per_10k": "Tilgjengelighet (2SFCA) per 10 000 innb.",
    "access_ratio_to_city": "Tilgjengelighet relativt til byen",
}


METHOD_LABELS = {
    "enumerate": "Fullstendig opptelling (p = 1, eksakt)",
    "greedy": "Grådig (rask, minst 63 % av optimum garantert)",
    "exact": "Eksakt heltallsmodell (HiGHS)",
    "maximin": "Balanse: best mulig dekning i bydelen som kommer dårligst ut (HiGHS)",
}


GREEDY_GUARANTEE = (
    "Grådig valg av {p} steder gir minst {bound:.1%} av best mulige nye dekning "
    "(1 − (1 − 1/p)^p ≥ 1 − 1/e for monoton submodulær dekning)."
)


def format_count(value: float) -> str:
    """A whole number with a space as thousands separator (Norwegian style)."""
    return f"{value:,.0f}".replace(",", "\u00a0")


SOURCE_LABELS: dict[str, str] = {
    "bydeler_pbe2013": "Bydelsgrenser",
    "delbydeler": "Delbydeler",
    "population_series": "Befolkning",
    "population_grid_100m": "Bosted (rutenett 100 m)",
    "population_grid_250m": "Bosted (rutenett 250 m)",
    "need_indicators": "Sosialhjelp",
    "zones_forslag_a": "Forslag A",
    "open_drug_scenes": "Åpne rusmiljøer",
    "services": "Tjenester",
    "walk_network": "Gangnett",
    "bydel_groups": "Bydelsgrupper",
}


NEED_BASIS = "sosialhjelp"
"""Weight basis: residents weighted by their bydel's share receiving social assistance."""

NEED_LABEL = (
    "Innbyggere vektet med andel sosialhjelpsmottakere (2023) – et mål på behov, "
    "ikke antall i målgruppen."
)
"""How every output names the need proxy."""

WEIGHT_BASIS_LABELS: dict[str, str] = {
    "innbyggere": "innbyggere",
    NEED_BASIS: "innbyggere vektet med andel sosialhjelpsmottakere (2023), et mål på behov",
    "brukerdata": "brukerdata",
}
"""What the demand weights are, as the provenance line states it."""

NEED_DATA_LABELS = {
    "population": "Anslått sosialhjelpsmottakere (behovsvekt)",
    "residents_within_threshold": "Anslått mottakere innen terskel (behovsvekt)",
}
"""People counts under the need proxy: estimated recipients, not the target group."""

USER_DATA_LABELS = {
    "population": "Brukere/besøk (vekt)",
    "residents_within_threshold": "Brukere/besøk innen terskel",
}
"""Labels of the people counts when the weights are user data instead of residents."""


def format_number(value: float, decimals: int = 0) -> str:
    r"""Norwegian number format: space between thousands, comma as decimal sign.

    >>> format_number(12345.678, 1)
    '12\xa0345,7'
    """
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    # typographic minus (U+2212), no-break space between thousands, decimal comma
    return text.replace(",", "\u00a0").replace(".", ",").replace("-", "\u2212")


def format_share(share: float, decimals: int = 0) -> str:
    r"""A share (0–1) as Norwegian percent text.

    >>> format_share(0.0454, 1)
    '4,5 %'
    """
    return format_number(100 * share, decimals) + " %"


def format_metric(metric: str, value: float) -> str:
    """Format a metric value with its unit (percent for shares, metres for distances)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    kind = metric_kind(metric)
    if kind == "share":
        return format_number(100 * value, 0 if abs(value) >= 0.1 or value == 0 else 1) + " %"
    if kind == "metres":
        return format_number(value, 0) + " m"
    if kind == "minutes":
        return format_number(value, 1) + " min"
    if kind == "count":
        return format_number(value, 0)
    return format_number(value, 2)


def metric_label(
    metric: str, threshold_m: float | None = None, weight_basis: str | None = None
) -> str:
    """Bokmål label of a metric, with the threshold written out ("Andel innen 500 m").

    With ``weight_basis="brukerdata"`` the people counts are named as users/visits.
    """
    text = METRIC_LABELS.get(metric, metric)
    if weight_basis == "brukerdata":
        text = USER_DATA_LABELS.get(metric, text)
    elif weight_basis == NEED_BASIS:
        text = NEED_DATA_LABELS.get(metric, text)
    if threshold_m is not None:
        text = text.replace("innen terskel", f"innen {format_number(threshold_m)} m")
    return text


SUMMARY_LABELS: dict[str, str] = {
    "id": "Id",
    "name": "Kandidat",
    "zone": "Sone",
    "new_within": "Nye innen terskel",
    "share_before": "Andel innen terskel i dag (by)",
    "share_after": "Andel innen terskel med kandidat (by)",
    "median_before": "Medianavstand i dag (m)",
    "median_after": "Medianavstand med kandidat (m)",
    "gaining_zones": "Soner som får bedre dekning",
    "nearest_existing_m": "Luftlinje til nærmeste eksisterende tilbud (m)",
}

SUGGESTION_LABELS: dict[str, str] = {
    "rank": "Nr.",
    "candidate_id": "Sted",
    "zone": "Sone",
    "new_weight": "Nye innen terskel",
    "alone_weight": "Nye innen terskel (stedet alene)",
    "gaining_zones": "Soner som får bedre dekning",
    "nearest_existing": "Nærmeste eksisterende tilbud",
    "nearest_existing_m": "Dit i luftlinje (m)",
    "note": "Merknad",
}
"""Columns of a suggestion's site table as shown (x, y and codes are left out)."""

BALANCE_CHANGE_LABELS: dict[str, str] = {
    "label": "Mål",
    "before": "Før",
    "after": "Etter",
    "change": "Endring",
    "help": "Forklaring",
}
"""Columns of a suggestion's balance table (before, after, change per measure) as shown."""


MAP_METRICS = [
    "share_within_threshold",
    "median_distance_m",
    "p90_distance_m",
    "services_per_10k",
    "n_services",
    "location_quotient",
    "population",
]
"""Metrics the map can be coloured by."""

TABLE_METRICS = [
    "population",
    "n_services",
    "services_per_10k",
    "residents_within_threshold",
    "share_within_threshold",
    "median_distance_m",
    "p90_distance_m",
    "median_walk_min",
    "share_of_services",
    "share_of_population",
    "location_quotient",
    "network_share",
    "distance_basis",
]
"""The one list of metrics every table shows, in order: app, table exports, PDF report."""

TERMINAL_METRICS: dict[str, str] = {
    "population": "Innb.",
    "n_services": "Tilbud",
    "services_per_10k": "Per 10k",
    "share_within_threshold": "Andel innen",
    "median_distance_m": "Median m",
    "p90_distance_m": "P90 m",
    "location_quotient": "LQ",
    "distance_basis": "Målt",
}
"""The narrow selection of :data:`TABLE_METRICS` the CLI prints in a terminal (short headers)."""


ZONE_NOUNS: dict[str, str] = {"bydeler": "bydel", "delbydeler": "delbydel", "soner": "sone"}
"""Plural → singular of the words a zone set uses for its zones."""


def zone_words(plural: str | None) -> tuple[str, str]:
    """``(singular, plural)`` for a zone set's noun (``bydeler`` when unknown), lower case."""
    plural = plural if plural in ZONE_NOUNS else "bydeler"
    return ZONE_NOUNS[plural], plural


def summary_labels(zone_noun: str | None) -> dict[str, str]:
    """:data:`SUMMARY_LABELS` with the zone set's own words («Bydel», «Delbydel», «Sone»)."""
    one, many = zone_words(zone_noun)
    return {
        **SUMMARY_LABELS,
        "zone": one.capitalize(),
        "gaining_zones": f"{many.capitalize()} som får bedre dekning",
    }


def metric_kind(metric: str) -> str:
    """What a metric measures, which decides how it is written.

    Returns ``"share"`` (a fraction, written as percent), ``"metres"``, ``"minutes"``,
    ``"count"`` (people or services, whole numbers), ``"ratio"`` (two decimals) or ``"text"``.
    """
    if metric == "distance_basis":
        return "text"
    if metric.startswith("share") or metric.endswith("_pp") or metric.endswith("_share"):
        return "share"
    if metric.endswith("_min"):
        return "minutes"
    if metric.endswith("_m"):
        return "metres"
    if metric.startswith("n_") or metric in ("population", "residents_within_threshold"):
        return "count"
    return "ratio"


FORMATS: dict[str, dict[str, str]] = {
    "excel": {
        "share": "0.0%",
        "metres": "#,##0",
        "minutes": "0.0",
        "count": "#,##0",
        "ratio": "0.00",
        "text": "@",
    },
    "app": {
        "share": "percent",
        "metres": "%.0f",
        "minutes": "%.1f",
        "count": "%.0f",
        "ratio": "%.2f",
        "text": "",
    },
    "text": {
        "share": "{:.1%}",
        "metres": "{:,.0f}",
        "minutes": "{:.1f}",
        "count": "{:,.0f}",
        "ratio": "{:.2f}",
        "text": "{}",
    },
}
"""The number format of each metric kind (:func:`metric_kind`) in Excel, the app and plain text."""


DISTANCE_LABELS = {"straight": "luftlinje", "network": "gangavstand langs gatenettet"}


NOTE_ENGINE = "Avstander er gangavstand langs gangnettet (OpenStreetMap)."


NOTE_NETWORK = "Avstander langs gangnettet (OpenStreetMap), ganghastighet {speed} km/t."


NOTE_STRAIGHT = "Avstander er luftlinje (valgt), ganghastighet {speed} km/t."


NOTE_FALLBACK = (
    "Gangnett ikke tilgjengelig – avstander er luftlinje, ganghastighet {speed} km/t. ({reason})"
)


NOTE_OFF_NETWORK = (
    " {count} etterspørselspunkt ligger over {snap} m fra gangnettet og regnes som utilgjengelige."
)


NOTE_OFF_NETWORK_WALK = " {count} etterspørselspunkt ligger over {snap} m fra gangnettet; veien dit er regnet i luftlinje."


SCENARIO_NAME = "Scenario: ny lokasjon {n}"


SCENARIO_NOTE = "Hypotetisk lokasjon i et scenario (ikke et eksisterende tilbud)."


MOVED_NOTE = "Eksisterende tilbud flyttet til en hypotetisk lokasjon i et scenario."


# ---------------------------------------------------------------------- text in messages
def short_text(value: object, limit: int = 40) -> str:
    """A safe, short rendering of a cell for messages (no raw content dumps)."""
    text = re.sub(r"[\x00-\x1f<>]", "?", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def strip_controls(text: str) -> str:
    """Drop control and format characters (incl. NUL and right-to-left overrides)."""
    return "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    )


def excerpt(text: object, limit: int) -> str:
    """Raw text shortened for a message (escaping happens once, in the reader's message guard)."""
    plain = strip_controls(str(text))
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def format_mb(n_bytes: float) -> str:
    """Bytes as whole (or one-decimal) mebibytes with a decimal comma: ``12``, ``0,5``."""
    value = n_bytes / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return text.replace(".", ",")


_UNSAFE_CHARS = re.compile(r"[\\`\[\]$]")


def safe_text(text: object, limit: int | None = None) -> str:
    """Make text safe to show whether it is rendered as plain text, HTML or markdown.

    Control and direction-override characters are removed, HTML is escaped (``<`` → ``&lt;``,
    ``&`` → ``&amp;``, quotes) and the few markdown characters that can build links, images,
    code or formulas (``[``, ``]``, backtick, ``$``, backslash) are backslash-escaped.

    Parameters
    ----------
    text
        Anything; converted with ``str``.
    limit
        Shorten to at most this many characters (before escaping), ending with ``…``.

    Returns
    -------
    str
        The escaped text. Rendered as markdown or HTML it reads like the original.

    Examples
    --------
    >>> safe_text("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'

    """
    plain = strip_controls(str(text))
    if limit is not None and len(plain) > limit:
        plain = plain[: max(limit - 1, 0)] + "…"
    plain = _UNSAFE_CHARS.sub(lambda m: "\\" + m.group(0), plain)
    return html.escape(plain, quote=True)
