"""oslo-coverage: coverage of low-threshold drug and harm-reduction services in Oslo.

The subpackages follow the flow of data (see ``docs/ARCHITECTURE.md``)::

    inputs → data → network → analysis → siting → maps / export → workspace → cli (and ui/, app.py)

Shared ground floor: ``settings``, ``errors``, ``labels``, ``style``, ``geom``, ``names``,
``distance``. Every public name is importable from its subpackage (``from geo.analysis import
coverage_table``) or from the module that defines it.
"""

from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["__version__"]
