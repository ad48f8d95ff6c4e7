"""Every page runs inside the router (``app.py``).

The layout keeps page scripts in ``pages/``, the folder Streamlit's legacy multipage mode also
scans: on a freshly started server, a link straight to ``/calls`` would run ``pages/calls.py``
on its own — without the sidebar filters, the viewer's scope or the navigation — until some
session has run ``st.navigation``.  ``ensure_routed`` (called first by every page) notices that,
runs the router instead: its ``st.navigation`` switches the server to the router for good and
runs the page the URL names."""
from __future__ import annotations

import runpy
import threading
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent.parent / "app.py"
_state = threading.local()


class routing:
    """``with routing(): page.run()`` — marks the page run as coming from the router."""

    def __enter__(self):
        _state.active = True

    def __exit__(self, *exc):
        _state.active = False


# (file, title key, icon); the URL of each page is its file name: /calls, /detail…
PAGES = [
    ("pages/overview.py", "page.overview", ":material/dashboard:"),
    ("pages/calls.py", "page.calls", ":material/call:"),
    ("pages/tickets.py", "page.tickets", ":material/confirmation_number:"),
    ("pages/satisfaction.py", "page.satisfaction", ":material/sentiment_satisfied:"),
    ("pages/sales.py", "page.sales", ":material/payments:"),
    ("pages/matrix.py", "page.matrix", ":material/grid_on:"),
    ("pages/detail.py", "page.detail", ":material/table_rows:"),
    ("pages/imports.py", "page.import", ":material/upload_file:"),
    ("pages/settings.py", "page.settings", ":material/settings:"),
]


def navigation():
    """``st.navigation`` over every page, titles in the viewer's language."""
    from ui.i18n import t

    root = APP.parent
    return st.navigation([st.Page(str(root / path), title=t(key), url_path=Path(path).stem, icon=icon,
                                  default=(i == 0)) for i, (path, key, icon) in enumerate(PAGES)])


def ensure_routed() -> None:
    if getattr(_state, "active", False):
        return
    # run the router in this very run (a rerun would drop a button click): its st.navigation has the
    # same pages, so the page the URL names keeps its identity and runs inside the frame
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()
