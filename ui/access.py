"""Who is looking: the gate every run of the app passes first (``app.py``).

- **Sign-in** is Streamlit's own (``st.login`` / ``st.user`` / ``st.logout``, OpenID Connect configured
  in ``.streamlit/secrets.toml`` ``[auth]``).  A signed-in person is a viewer only when the ``viewers``
  table has their e-mail (``warehouse/access.py``); anyone else sees the "no access yet" page and
  nothing else.  The first admins come from ``CSDASH_ADMINS``.
- **Local mode**: with no ``[auth]``, the app serves only on a loopback address
  (``.streamlit/config.toml`` sets 127.0.0.1), the one local user is an admin, and the sidebar says
  so; started on another address it refuses with a message.  A local deployment may still narrow
  what it shows with ``CSDASH_SCOPE_*`` (``ui.data.viewer_scope``).

The viewer found here is kept in the session (``ui.viewer``); ``ui.data.viewer_scope`` and
``viewer_name`` read it, so every query, download and document is scoped from this one place.
"""
from __future__ import annotations

import streamlit as st

from ui import data
from ui.i18n import t
from ui.text import md
from warehouse import access
from warehouse.access import Viewer
from warehouse.db import actor

LOOPBACK = ("127.0.0.1", "localhost", "::1")
VIEWER_KEY = "ui.viewer"
VIEW_AS_KEY = "ui.view_as"     # an admin previewing another viewer's dashboard


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:   # no secrets file at all: local mode
        return False


def _bootstrap(wh) -> None:
    """``CSDASH_ADMINS`` → admins, once per process and warehouse."""
    done = st.session_state.setdefault("ui.admins_bootstrapped", set())
    if wh.url not in done:
        access.bootstrap_admins(wh)
        done.add(wh.url)


def _no_navigation() -> None:
    """A run that stops before the dashboard still registers a navigation, hidden: otherwise Streamlit
    would list the pages/ folder in the sidebar."""
    st.navigation([st.Page(_blank, title=t("app"), url_path="signin", default=True)], position="hidden")


def _blank() -> None:
    """The hidden navigation's page: never run (the gate stops first)."""


def _stop_with(message: str, sign_out: bool) -> None:
    _no_navigation()
    st.title(t("app"))
    st.warning(message)
    if sign_out:
        st.button(t("auth.sign_out"), key="auth.sign_out", on_click=st.logout)
    st.stop()


def gate() -> Viewer:
    """The viewer of this run, or a page that is not the dashboard (sign in, no access, refused).
    An admin previewing another viewer ("view as") gets that viewer, with a banner to stop."""
    return _viewing_as(_signed_in())


def begin_view_as(email: str) -> None:
    """Callback of the 用户与权限 page: from the next run, this admin sees what ``email`` sees."""
    record("view_as", email)
    st.session_state[VIEW_AS_KEY] = email


def end_view_as() -> None:
    st.session_state.pop(VIEW_AS_KEY, None)


def _viewing_as(real: Viewer) -> Viewer:
    email = st.session_state.get(VIEW_AS_KEY)
    if not email or real.role != "admin":
        st.session_state.pop(VIEW_AS_KEY, None)
        return real
    other = access.get_viewer(data.warehouse(), email)
    if other is None:
        end_view_as()
        return real
    st.session_state[VIEWER_KEY] = other
    st.sidebar.warning(md(t("auth.viewing_as", name=other.name or other.email, role=t(f"role.{other.role}"))),
                       icon=":material/visibility:")
    st.sidebar.button(t("auth.end_view_as"), key="auth.end_view_as", on_click=end_view_as)
    return other


def _signed_in() -> Viewer:
    if not auth_configured():
        address = st.get_option("server.address") or ""
        if address not in LOOPBACK:
            _stop_with(t("auth.local_refused", address=md(address or "0.0.0.0")), sign_out=False)
        viewer = Viewer("local", actor(), "admin")
        st.session_state[VIEWER_KEY] = viewer
        st.sidebar.caption(":material/computer: " + t("auth.local_banner"))
        return viewer
    if not st.user.is_logged_in:
        _no_navigation()
        st.title(t("app"))
        st.info(t("auth.sign_in_prompt"))
        st.button(t("auth.sign_in"), key="auth.sign_in", type="primary", on_click=st.login)
        st.stop()
    wh = data.warehouse()
    _bootstrap(wh)
    email = access.normalise_email(st.user.get("email") or "")
    subject = str(st.user.get("sub") or "")
    # the e-mail claim first; a provider that sends none is matched by the subject a viewer row records
    viewer = (access.get_viewer(wh, email) if email else None) or access.viewer_by_subject(wh, subject)
    if viewer is not None:
        email = viewer.email
    else:
        email = email or subject
    if viewer is None:
        st.session_state.pop(VIEWER_KEY, None)
        _stop_with(t("auth.no_access", email=md(email or "—")), sign_out=True)
    if st.session_state.get("ui.signed_in") != email:
        # one audit row per sign-in, not per page load: the identity token's issue time tells them apart
        access.audit_once(wh, "signin", email, by=email, issued=st.user.get("iat"))
        st.session_state["ui.signed_in"] = email
    st.session_state[VIEWER_KEY] = viewer
    st.sidebar.caption(md(t("auth.signed_in", name=viewer.name or viewer.email, role=t(f"role.{viewer.role}"))))
    st.sidebar.button(t("auth.sign_out"), key="auth.sign_out", on_click=st.logout)
    return viewer


def record(action: str, target: str = "", **detail) -> None:
    """An audit row for something this session's viewer did (a download, a settings change…), with the
    scope they did it in."""
    access.audit(data.warehouse(), action, target, by=data.viewer_name(), scope=data.viewer_scope().key(), **detail)


def may(action: str) -> bool:
    """Whether this session's viewer may take ``action`` (no viewer: no).  Controls a viewer may not
    use are not drawn, and every handler asks again before it writes."""
    return access.allowed(st.session_state.get(VIEWER_KEY), action)


def refuse() -> None:
    st.error(t("auth.refused"), icon=":material/block:")


def require(action: str) -> None:
    """Stop the page unless the viewer may take ``action`` (on the server: a direct URL gets nothing)."""
    if not may(action):
        refuse()
        st.stop()
