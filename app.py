"""Oslo-dekning: the planners' Streamlit app. Start with ``bash dev app`` (``streamlit run app.py``).

Streamlit reads this file twice over. ``streamlit run app.py`` finds the ``st.App`` below and
serves it; its start-up hook (:func:`ui.warmup.warm_start`) imports the app and prepares the
first page in the background while the server already answers. For every browser session the
file runs as the page (``__main__``) and draws :func:`ui.page.main`, which wires the widgets to
the :mod:`geo` library; every number comes from there.
"""

from __future__ import annotations

import os

import streamlit as st
from starlette.middleware import Middleware

from ui.frontend_files import FrontendFiles
from ui.warmup import wait_for_imports, warm_start

if __name__ != "__main__":
    app = st.App(__file__, lifespan=warm_start, middleware=[Middleware(FrontendFiles)])
else:
    wait_for_imports()  # the start-up hook may be importing the page's modules right now
    from ui.page import main

    if os.environ.get("OSLO_COVERAGE_TIMING") == "profile":
        import cProfile
        import pstats

        _profile = cProfile.Profile()
        _profile.runcall(main)
        pstats.Stats(_profile).sort_stats("cumulative").print_stats(40)
    else:
        main()
