"""Siting commands: ``suggest`` and ``balance``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.balance import ACCESS_MEASURES, current_balance, lorenz_curve
from geo.analysis.privacy import suppress_small_counts
from geo.cli.common import (
    add_common_analysis_args,
    add_format_argument,
    build_study_and_engine,
    parse_categories,
    threshold_from_args,
    user_weights,
    write_or_print,
)
from geo.data.groups import load_bydel_groups
from geo.data.services import load_candidates
from geo.errors import InputError, Problem
from geo.labels import METHOD_LABELS, format_count
from geo.names import CITY_CODE
from geo.siting.model import METHODS
from geo.siting.suggest import DEFAULT_TIME_LIMIT_S, SiteRequest, Suggestion, suggest_sites

__all__ = [
    "add_commands",
]


def add_commands(sub: Any) -> None:
    """Register ``oslo-coverage suggest``."""
    parser = sub.add_parser(
        "suggest",
        help="foreslå nye steder som gir flest nye innbyggere/brukere innen terskelen",
    )
    add_common_analysis_args(parser)
    parser.add_argument("--p", type=int, default=1, help="antall nye steder (standard 1)")
    parser.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="enumerate (p=1), greedy, exact (HiGHS) eller maximin (balanse); "
        "standard: enumerate for p=1, ellers greedy",
    )
    parser.add_argument("--grid", type=float, help="lag kandidater på et rutenett med N m avstand")
    parser.add_argument(
        "--bydeler", help="kommaseparerte bydeler (navn eller koder) kandidatene skal ligge i"
    )
    parser.add_argument("--exclude", help="fil med soner der nye steder ikke kan ligge")
    parser.add_argument("--exclude-buffer", type=float, default=0.0, help="avstand fra sonene (m)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        help="tidsgrense for HiGHS i sekunder (standard 2; stopper løseren der, står gapet i svaret)",
    )
    parser.add_argument(
        "--balance-level",
        choices=["bydel", "group"],
        default="bydel",
        help="maximin over bydeler eller over bydelsgrupper (data/bydel_groups.csv)",
    )
    add_format_argument(parser)
    parser.add_argument("--out", help="skriv resultatet til fil")
    parser.set_defaults(func=_cli_suggest)

    q = sub.add_parser(
        "balance",
        help="balansemål for dagens tilbud: Gini, Theil (innen/mellom bydelsgrupper), "
        "Herfindahl, LQ, andel i indre by",
    )
    add_common_analysis_args(q)
    q.add_argument(
        "--measure",
        choices=list(ACCESS_MEASURES),
        default="share",
        help="tilgangsmål per bydel: share (andel innen terskel), median (medianavstand), "
        "access (2SFCA)",
    )
    q.add_argument("--groups", help="egen fil med bydelsgrupper (standard data/bydel_groups.csv)")
    add_format_argument(q)
    q.add_argument("--out", help="skriv resultatet til fil")
    q.set_defaults(func=_cli_balance)


def _cli_balance(args: argparse.Namespace) -> int:

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    weights = user_weights(study, args)
    groups = load_bydel_groups(args.groups) if args.groups else None
    summary, table = current_balance(
        study, engine, threshold, categories, args.measure, weights, groups
    )
    column = ACCESS_MEASURES[args.measure]
    rows = table[(table["zone_code"] != CITY_CODE) & (table["population"] > 0)]
    rows = rows[np.isfinite(rows[column].astype(float))]
    lorenz = lorenz_curve(rows[column].astype(float), rows["population"].astype(float))
    notes = [
        f"Avstand: {engine.note}",
        f"Terskel: {threshold:.0f} m · tilgangsmål: {column} · vekt: "
        + ("brukerdata" if weights is not None else "innbyggere"),
    ]
    if args.format == "json":
        text = json.dumps(
            {
                "notes": notes,
                "metrics": json.loads(summary.to_json(orient="records", force_ascii=False)),
                "theil_by_group": json.loads(
                    summary.attrs["theil_by_group"].to_json(orient="records", force_ascii=False)
                ),
                "lorenz": json.loads(lorenz.to_json(orient="records")),
            },
            ensure_ascii=False,
            indent=2,
        )
    elif args.format == "csv":
        for line in notes:
            print(line, file=sys.stderr)
        text = summary.to_csv(index=False)
    else:
        shown = table[["zone", column, "n_services", "location_quotient"]].copy()
        text = "\n".join(
            [
                *notes,
                "",
                summary[["label", "value"]].to_string(index=False, float_format="{:.4f}".format),
                "",
                shown.to_string(index=False, float_format="{:.3f}".format),
            ]
        )
    write_or_print(text, args.out, say_written=True)
    return 0


def _read_zones(path: str) -> gpd.GeoDataFrame:
    try:
        zones = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(
            Problem(Path(path).name, None, None, f"Kunne ikke lese sonene: {exc}")
        ) from None
    if zones.empty or zones.geometry.isna().all():
        raise InputError(Problem(Path(path).name, None, "geometry", "Filen har ingen geometrier."))
    return zones


def _cli_suggest(args: argparse.Namespace) -> int:

    method = args.method or ("enumerate" if args.p == 1 else "greedy")
    if method == "enumerate" and args.p != 1:
        raise InputError(Problem("--method", None, None, "enumerate gjelder bare --p 1."))
    if args.p < 1:
        raise InputError(Problem("--p", None, None, "Antall nye steder må være minst 1."))
    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    for problem in study.problems:
        print(str(problem), file=sys.stderr)
    candidates = None
    if args.candidates:
        loaded = load_candidates(args.candidates)
        for problem in loaded.problems:
            print(str(problem), file=sys.stderr)
        candidates = loaded.frame
        if len(candidates) == 0:
            raise InputError(
                Problem(args.candidates, None, None, "Ingen kandidatsteder med koordinater.")
            )
    within = [part.strip() for part in args.bydeler.split(",")] if args.bydeler else None
    exclusion = _read_zones(args.exclude) if args.exclude else None
    weights = user_weights(study, args)
    request = SiteRequest(
        threshold,
        args.p,
        method,
        categories,
        grid_m=args.grid,
        within_codes=within,
        exclusion_buffer_m=args.exclude_buffer,
        time_limit_s=args.time_limit,
        balance_level=args.balance_level,
    )
    suggestion = suggest_sites(study, engine, request, candidates, exclusion, weights)
    text = _format_suggestion(suggestion, args.format, user_data=weights is not None)
    write_or_print(text, args.out, say_written=True)
    return 0


def _protect(
    frame: pd.DataFrame,
    columns: list[str],
    user_data: bool,
    derived: Mapping[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Hide counts below 5 (and shares computed from them) when the weights are user data."""
    if not user_data:
        return frame

    present = [c for c in columns if c in frame.columns]
    return suppress_small_counts(frame, present, protect_totals=False, derived=derived)


def _percent(value: object) -> str:
    if isinstance(value, (int, float)):
        return f"{value:.1%}" if np.isfinite(value) else "–"
    return str(value)


def _format_suggestion(suggestion: Suggestion, fmt: str, user_data: bool = False) -> str:
    result, explanation = suggestion.result, suggestion.explanation
    count_cols = ["weight", "covered_before", "newly_covered", "covered_after"]
    by_zone = _protect(
        explanation.by_zone,
        count_cols,
        user_data,
        derived={
            "share_before": ["weight", "covered_before"],
            "share_after": ["weight", "covered_after"],
        },
    )
    sites = _protect(explanation.sites, ["new_weight", "alone_weight"], user_data)
    if user_data:
        sites = sites.drop(columns=["gaining_zones"])
    solver = {k: v for k, v in result.solver.items() if not isinstance(v, np.ndarray)}
    if user_data:  # objective values are user counts; shown only through the protected tables
        solver = {
            k: v
            for k, v in solver.items()
            if k not in {"objective", "bound", "phase1", "phase2", "marginal_gains"}
        }
    if fmt == "json":
        payload = {
            "method": result.method,
            "p": result.p,
            "chosen": [str(c) for c in result.chosen],
            "newly_covered": None
            if user_data and 0 < result.newly_covered < 5
            else result.newly_covered,
            "share_before": result.share_before,
            "share_after": result.share_after,
            "solver": solver,
            "notes": suggestion.notes,
            "sites": json.loads(sites.to_json(orient="records", force_ascii=False)),
            "by_zone": json.loads(by_zone.to_json(orient="records", force_ascii=False)),
            "balance": json.loads(explanation.balance.to_json(orient="records", force_ascii=False)),
        }
        return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    if fmt == "csv":
        for line in suggestion.notes:
            print(line, file=sys.stderr)
        return sites.to_csv(index=False)
    lines = [METHOD_LABELS[result.method], *suggestion.notes, ""]
    if not user_data:
        lines += explanation.lines
    lines.append(
        "Løser: "
        + ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in solver.items()
            if k in {"status", "objective", "bound", "gap", "time_s", "n_rows_reduced", "min_share"}
        )
    )
    lines += ["", "Per sone:"]
    shown = by_zone[["zone", "weight", "newly_covered", "share_before", "share_after"]].copy()
    shown.columns = ["Sone", "Vekt", "Nye innen", "Andel før", "Andel etter"]
    for column in ("Andel før", "Andel etter"):
        shown[column] = [_percent(v) for v in shown[column]]
    if not user_data:
        for column in ("Vekt", "Nye innen"):
            shown[column] = [format_count(v) for v in shown[column]]
    lines.append(shown.to_string(index=False))
    lines += ["", "Balanse (dekningsandel per bydel, veid):"]
    bal = explanation.balance[["label", "before", "after", "change"]].copy()
    bal.columns = ["Mål", "Før", "Etter", "Endring"]
    lines.append(bal.to_string(index=False, float_format="{:.4f}".format))
    return "\n".join(lines)
