"""绩效考核: a division's month — ranking with every item, flags and pay; one agent's paper form;
inputs (template, editor, excusals); callback sample; rectification plans; year view; installer
units; the rules in force."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from appraisal.month import DIVISIONS, state_token
from ui import appraisal as ap
from ui import data
from ui.i18n import bound, t, value_label
from ui.widgets import page_view

view = page_view("page.appraisal")
wh, month = data.warehouse(), view.month
division = st.segmented_control(t("ap.division"), list(DIVISIONS), default="presales", key="ap.division",
                                format_func=bound(value_label)) or "presales"
state = state_token(wh)
result = ap.month_view(view.url, state, view.scope, month, division)
ap.status_line(result)
shown = ap.narrowed(result, view.filters)
tabs = st.tabs([t(f"ap.tab.{k}") for k in ("ranking", "card", "inputs", "sampler", "plans", "year", "installers",
                                             "rules")])
if shown.frame.empty:
    tabs[0].info(t("ap.no_agents"))
else:
    with tabs[0]:
        ap.ranking(wh, shown)
    with tabs[1]:
        ap.agent_form(shown)
with tabs[2]:
    ap.inputs_editor(wh, month, division)
with tabs[3]:
    ap.callback_sample(wh, state, month, division, view.scope)
with tabs[4]:
    ap.plans_tracker(wh, month, division, set(shown.frame["agent_id"]))
with tabs[5]:
    ap.year_table(view.url, state, view.scope, month, division)
with tabs[6]:
    ap.installer_units(view.url, state, view.scope, month)
with tabs[7]:
    ap.rules_panel(wh, month)
