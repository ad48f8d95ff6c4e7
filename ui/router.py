"""Every page runs inside the router (``app.py``).

The layout keeps page scripts in ``pages/``, the folder Streamlit's legacy multipage mode also
scans: on a freshly started server, a link straight to ``/calls`` would run ``pages/calls.py``
on its own — without the sidebar filters, the viewer's scope or the navigation — until some
session has run ``st.navigation``.  ``ensure_routed`` (called first by every page) notices that,
runs the router instead: its ``st.navigation`` switches the server to the router for good and
runs the page the URL names."""
from __future__ import annotations

from pathlib import Path
import runpy
import threading

import streamlit as st

from ui.filters import adopt_url_lang
from ui.i18n import t

APP = Path(__file__).resolve().parent.parent / "app.py"
_state = threading.local()


class routing:
    """``with routing(): page.run()`` — marks the page run as coming from the router."""

    def __enter__(self):
        _state.active = True

    def __exit__(self, *exc):
        _state.active = False


# (file, title key, icon[, the action it needs: warehouse.access.PERMISSIONS, default read]); the URL of
# each page is its file name: /calls, /detail…  A page a viewer may not use is hidden from their
# navigation, and the page itself refuses them (ui.access.require) should a URL reach it.
PAGES = [
    ("pages/overview.py", "page.overview", ":material/dashboard:"),
    ("pages/calls.py", "page.calls", ":material/call:"),
    ("pages/tickets.py", "page.tickets", ":material/confirmation_number:"),
    ("pages/satisfaction.py", "page.satisfaction", ":material/sentiment_satisfied:"),
    ("pages/sales.py", "page.sales", ":material/payments:"),
    ("pages/staffing.py", "page.staffing", ":material/groups:"),
    ("pages/complaints.py", "page.complaints", ":material/report:"),
    ("pages/stores.py", "page.stores", ":material/storefront:"),
    ("pages/customers.py", "page.customers", ":material/person_search:"),
    ("pages/alerts.py", "page.alerts", ":material/notifications:"),
    ("pages/matrix.py", "page.matrix", ":material/grid_on:"),
    ("pages/detail.py", "page.detail", ":material/table_rows:"),
    ("pages/appraisal.py", "page.appraisal", ":material/military_tech:"),
    ("pages/review.py", "page.review", ":material/summarize:"),
    ("pages/imports.py", "page.import", ":material/upload_file:", "load"),
    ("pages/settings.py", "page.settings", ":material/settings:", "settings"),
    ("pages/users.py", "page.users", ":material/group:", "viewers"),
]


def needs(entry: tuple) -> str:
    return entry[3] if len(entry) > 3 else "read"


def _home() -> None:
    """The root URL opens the overview at /overview, the same address a direct link uses."""
    st.switch_page(str(APP.parent / PAGES[0][0]), query_params=st.query_params.to_dict())


def navigation(viewer=None):
    """``st.navigation`` over every page, titles in the viewer's language.  Each page's URL is its file
    name, including the overview (the hidden default page forwards / to /overview), so a page keeps
    the same identity whether the router or Streamlit's legacy ``pages/`` scan found it."""
    adopt_url_lang()
    root = APP.parent
    home = st.Page(_home, title=t(PAGES[0][1]), url_path="home", default=True, visibility="hidden")
    if viewer is None:   # a page run outside app.py (ensure_routed) finds the session's viewer
        viewer = st.session_state.get("ui.viewer")
    # a page the viewer may not use stays registered but hidden: its URL then runs the page, which
    # refuses them with a message (ui.access.require), instead of Streamlit's "page not found"
    return st.navigation([home] + [st.Page(str(root / e[0]), title=t(e[1]), url_path=Path(e[0]).stem, icon=e[2],
                                           visibility="visible" if viewer is None or viewer.may(needs(e)) else "hidden")
                                   for e in PAGES])


def ensure_routed() -> None:
    if getattr(_state, "active", False):
        return
    # run the router in this very run (a rerun would drop a button click): its st.navigation has the
    # same pages, so the page the URL names keeps its identity and runs inside the frame
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()
