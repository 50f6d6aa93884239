"""oslo-coverage: coverage of low-threshold drug and harm-reduction services in Oslo.

The package is laid out in the order data flows through it:

``settings`` / ``datasets`` → ``boundaries`` / ``population`` / ``io`` / ``services`` →
``distance`` / ``network`` → ``metrics`` / ``access`` / ``balance`` → ``whatif`` / ``siting`` →
``maps`` / ``export`` → ``cli`` (and the Streamlit ``app.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"
