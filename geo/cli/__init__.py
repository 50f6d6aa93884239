"""The command line: ``oslo-coverage <command>`` (:func:`geo.cli.main.main`)."""

from __future__ import annotations

from geo.cli.main import main

__all__ = ["main"]
