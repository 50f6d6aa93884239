"""Analysis commands: ``bydel-report``, ``whatif``, ``rank-candidates``, ``access``."""

from __future__ import annotations

import argparse
from typing import Any

from geo.analysis.access import access_by_zone, accessibility
from geo.analysis.provenance import settings_lines
from geo.cli.common import (
    EXIT_OK,
    add_common_analysis_args,
    add_format_argument,
    analysis_from_args,
    build_study_and_engine,
    candidates_from_args,
    emit_table,
    parse_categories,
    print_problems,
    threshold_from_args,
    user_weights,
    whatif_from_args,
)
from geo.data.services import load_candidates, located
from geo.data.study import Study
from geo.errors import InputError, Problem
from geo.geom import parse_point_text, xy_of

__all__ = [
    "add_commands",
]


def _cmd_bydel_report(args: argparse.Namespace) -> int:
    study, whatif = whatif_from_args(args)
    print_problems(study.problems)
    table = whatif.baseline
    if args.candidates:
        candidates = candidates_from_args(args)
        table = whatif.add(xy_of(candidates), analysis_from_args(args).candidate_category).table
    emit_table(table, args.format, args.out)
    return EXIT_OK


def add_commands(sub: Any) -> None:
    """Register ``bydel-report``, ``whatif``, ``rank-candidates`` and ``access``."""
    p = sub.add_parser("bydel-report", help="dekningstabell per bydel")
    add_common_analysis_args(p)
    add_format_argument(p)
    p.add_argument("--out", help="skriv til fil i stedet for skjerm")
    p.set_defaults(func=_cmd_bydel_report)

    p = sub.add_parser(
        "whatif", help="legg til, flytt eller fjern lokasjoner og se endringen per bydel"
    )
    add_common_analysis_args(p)
    p.add_argument(
        "--add", nargs="*", default=[], metavar="X,Y", help="ny lokasjon (EPSG:25832 eller lat,lon)"
    )
    p.add_argument(
        "--remove", nargs="*", default=[], metavar="ID", help="fjern tilbud med denne id"
    )
    p.add_argument("--move", nargs="*", default=[], metavar="ID=X,Y", help="flytt tilbud")
    add_format_argument(p)
    p.add_argument("--out", help="skriv scenariotabellen til fil")
    p.set_defaults(func=_cli_whatif)

    q = sub.add_parser(
        "rank-candidates",
        help="ranger kandidatsteder (--candidates) etter nye innbyggere innen terskelen",
    )
    add_common_analysis_args(q)
    q.add_argument("--top", type=int, default=20, help="vis de N beste")
    q.add_argument("--out", help="skriv hele rangeringen (med per bydel) til CSV")
    q.set_defaults(func=_cli_rank)

    p = sub.add_parser("access", help="tilgjengelighetsindeks (2SFCA) per bydel")
    add_common_analysis_args(p)
    p.add_argument("--decay", choices=["none", "linear", "gaussian"], default="none")
    p.add_argument("--out", help="skriv tabellen til CSV")
    p.set_defaults(func=_cli_access)


def _typed_point(text: str, option: str) -> tuple[float, float]:
    """A point typed on the command line, read by the app's parser (:func:`geo.geom.parse_point_text`)."""
    try:
        return parse_point_text(text)
    except ValueError as exc:
        raise InputError(Problem(option, None, None, str(exc))) from None


def _cli_whatif(args: argparse.Namespace) -> int:
    add = [_typed_point(t, "--add") for t in args.add]
    move = {}
    for item in args.move:
        sid, _, xy = item.partition("=")
        move[sid] = _typed_point(xy, "--move")
    whatif = whatif_from_args(args)[1]
    if args.candidates:
        add += [tuple(p) for p in xy_of(load_candidates(args.candidates).frame)]
    result = whatif.scenario(add=add or None, remove=args.remove, move=move)
    emit_table(result.table, args.format, args.out)
    if args.format == "table" and not args.out:
        shown = ["zone", "d_share_within_threshold", "d_residents_within_threshold"]
        print("\nEndring fra dagens situasjon:")
        print(result.diff[shown].to_string(index=False, float_format="{:.3f}".format))
    elif args.out:
        for line in settings_lines(result.table):
            print(line)
    return 0


def _cli_rank(args: argparse.Namespace) -> int:

    if not args.candidates:
        raise InputError(Problem("--candidates", None, None, "Oppgi en fil med kandidatsteder."))
    loaded = load_candidates(args.candidates)
    for problem in loaded.problems:
        print(problem)
    frame = loaded.frame
    ids = frame["name"].tolist() if "name" in frame.columns else list(range(len(frame)))
    whatif = whatif_from_args(args)[1]
    ranking = whatif.rank_candidates(whatif.candidate_coverage(xy_of(frame), ids))
    for line in settings_lines(whatif.baseline):
        print(line)
    print(
        f"Forberedt på {ranking.attrs['precompute_s']:.2f} s, rangert på {ranking.elapsed_s * 1e3:.0f} ms."
    )
    print(ranking.total.head(args.top).to_string(index=False))
    if args.out:
        ranking.total.merge(ranking.by_zone, on="candidate_id").to_csv(args.out, index=False)
    return 0


def _cli_access(args: Any) -> int:

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    weights = user_weights(study, args)
    if weights is None:
        weights = study.demand["weight"].to_numpy(dtype=float)
    sites = located(study.services, categories)
    decay = None if args.decay == "none" else args.decay
    index = accessibility(engine, weights, xy_of(sites), threshold, decay=decay)
    table = access_by_zone(
        index, weights, study.demand["zone_code"].to_numpy(), names=_names(study)
    )
    print(f"Avstand: {engine.note}")
    print(
        f"2SFCA: terskel {threshold:.0f} m, avstandsvekting: {args.decay}, kapasitet 1 per tilbud"
    )
    print(table.to_string(index=False, float_format="{:.3f}".format))
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


def _names(study: Study) -> dict[str, str]:
    return dict(zip(study.zones["zone_code"], study.zones["zone"], strict=True))
