"""Command-line interface: ``oslo-coverage <command>``.

Every analysis the app shows is a subcommand here. Exit codes: 0 success, 2 bad input (message
on stderr, never a traceback), 1 unexpected error.

Each command module (:mod:`geo.cli.data`, :mod:`geo.cli.analysis`, :mod:`geo.cli.suggest`,
:mod:`geo.cli.export`) registers its subcommands with ``add_commands(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from geo.cli import analysis, data, export, suggest, zones
from geo.cli.common import EXIT_BAD_INPUT, EXIT_OK
from geo.errors import DatasetMissingError, InputError

__all__ = [
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="oslo-coverage", description="Dekning av lavterskeltilbud i Oslos bydeler."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    for module in (data, analysis, zones, suggest, export):
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatasetMissingError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError) as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and closed early
        return EXIT_OK
