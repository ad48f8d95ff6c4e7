"""The global sidebar filters: month range, region, store (within the region), team, division,
channel, and the language.  Kept in session state (widgets of the entry script persist across
pages) and mirrored in the URL query string, so a copied link reproduces the view.  A malformed or
unknown value in the URL is dropped with a visible warning, never a traceback."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from metrics import Filters, Scope, Settings
from metrics.errors import MetricError
from metrics.months import add_months, month_key, month_range, parse_month
from ui import data
from texts.fmt import month_label
from ui.i18n import LANGS, bound, dim_label, lang, t, value_label
from ui.text import md

MULTI = ("region", "store", "team", "division", "channel")
DEFAULT_SPAN = 6   # months shown by default, ending at the newest complete month


@dataclass(frozen=True)
class View:
    """What every page reads: the months, the chosen month (the range's last), filters and scope."""
    url: str
    version: int
    scope: Scope
    filters: Filters
    settings: Settings
    months: tuple[date, ...]

    @property
    def month(self) -> date:
        return self.months[-1]


def _warn(key: str, value: str, why: str) -> None:
    st.session_state.setdefault("f.warnings", []).append(t("bad_param", key=md(key), value=md(value), why=why))


def _from_url(available: list[date], values) -> None:
    """First run of a session: take the URL's values that are valid, warn about the rest."""
    qp = st.query_params
    for key in ("from", "to"):
        raw = qp.get(key)
        if raw is None:
            continue
        try:
            m = parse_month(raw)
        except MetricError:
            m = None
        if m is None or m not in available:
            _warn(key, raw, t("bad_month"))
        else:
            st.session_state[f"f.{key}"] = m
    if st.session_state.get("f.from") and st.session_state.get("f.to") and \
            st.session_state["f.from"] > st.session_state["f.to"]:
        st.session_state["f.from"], st.session_state["f.to"] = st.session_state["f.to"], st.session_state["f.from"]
        st.session_state.setdefault("f.warnings", []).append(t("swapped"))
    for key in MULTI:
        raw = qp.get(key)
        if raw is None:
            continue
        chosen = [v for v in raw.split(",") if v]
        known = set(values[key].dropna().astype(str)) if key in values else set()
        good = [v for v in chosen if v in known]
        for v in chosen:
            if v not in known:
                _warn(key, v, t("unknown_value"))
        st.session_state[f"f.{key}"] = good


def _to_url(state: dict[str, str | None]) -> None:
    for key, value in state.items():
        if value:
            if st.query_params.get(key) != value:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def _options(values, key: str, regions: list[str]) -> list[str]:
    frame = values if key != "store" or not regions else values[values["region"].isin(regions)]
    return sorted(frame[key].dropna().astype(str).unique()) if key in frame else []


def adopt_url_lang() -> None:
    """On a session's first run, the link's ``?lang=`` becomes the viewer's language — before anything
    is titled (the router calls this ahead of ``st.navigation``, so the page titles follow it too)."""
    if "f.lang_init" not in st.session_state:     # before the widget exists: its value may still be set
        st.session_state["f.lang_init"] = True
        asked = st.query_params.get("lang")
        if asked in LANGS:
            st.session_state["ui.lang"] = asked
        elif asked is not None:
            _warn("lang", asked, " / ".join(LANGS))


def sidebar() -> View | None:
    """Render the filters; None when the warehouse holds no data yet."""
    wh = data.warehouse()
    url, version, scope = wh.url, data.version(), data.viewer_scope()
    adopt_url_lang()
    st.sidebar.segmented_control(t("lang"), list(LANGS), format_func=LANGS.get, key="ui.lang",
                                 required=True, default=None if "ui.lang" in st.session_state else "zh")
    available = data.months(url, version)
    if not available:
        _to_url({"lang": None if lang() == "zh" else lang()})
        return None
    values = data.filter_values(url, version, scope, tuple(available))
    if "f.init" not in st.session_state:
        st.session_state["f.init"] = True
        _from_url(available, values)
    newest = data.default_month(url, version) or available[-1]
    st.session_state.setdefault("f.to", newest)
    st.session_state.setdefault("f.from", max(available[0], month_range_start(newest)))
    if st.session_state["f.from"] > st.session_state["f.to"]:   # "to" moved before "from": follow it
        st.session_state["f.from"] = st.session_state["f.to"]
    side = st.sidebar
    side.header(t("filters"))
    newest_first = available[::-1]
    side.selectbox(t("to"), newest_first, key="f.to", format_func=bound(month_label))
    side.selectbox(t("from"), [m for m in newest_first if m <= st.session_state["f.to"]], key="f.from",
                   format_func=bound(month_label))
    chosen: dict[str, list[str]] = {}
    for key in MULTI:
        options = _options(values, key, chosen.get("region", []))
        st.session_state[f"f.{key}"] = [v for v in st.session_state.get(f"f.{key}", []) if v in options]
        chosen[key] = side.multiselect(dim_label(key), options, key=f"f.{key}", format_func=bound(value_label),
                                       placeholder=t("all"))
    months = month_range(st.session_state["f.from"], st.session_state["f.to"])
    _to_url({"lang": None if lang() == "zh" else lang(),
             "from": month_key(months[0]), "to": month_key(months[-1]),
             **{k: ",".join(v) or None for k, v in chosen.items()}})
    return View(url, version, scope, Filters.of(**{k: v for k, v in chosen.items() if v}), data.settings(), months)


def month_range_start(newest: date) -> date:
    return add_months(newest, -(DEFAULT_SPAN - 1))


def show_warnings() -> None:
    for text in st.session_state.pop("f.warnings", []):
        st.warning(text, icon=":material/warning:")


def current() -> View | None:
    return st.session_state.get("ui.view")
