"""总览: KPI cards for the chosen month — value, target and status, MoM/YoY, n, 12-month sparkline."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from metrics.catalog import previous_months
from metrics.subjects import OVERVIEW, OVERVIEW_KPIS as KPIS
from ui import data
from metrics.months import month_key
from texts.fmt import month_label
from ui.i18n import lang, t
from ui.text import md
from ui.widgets import control_flags_list, kpi_card, page_view

view = page_view("page.overview")
st.caption(f"{month_label(view.month, lang())} · {md(view.scope.describe(lang()))}")
args = (view.url, view.version, view.scope, view.filters, view.settings)
now, history = data.figures_with_comparisons(*args, KPIS, view.month)
if now.empty:
    st.info(t("no_data_month", month=month_label(view.month, lang())))
    st.stop()
rows = {r["kpi"]: r for r in now.to_dict("records")}
last_12 = history[history["month"] >= month_key(previous_months(view.month, 12)[0])]
sparks = {k: g.sort_values("month")["value"].tolist() for k, g in last_12.groupby("kpi")}
# Which region and store moved each card since the month before: off by default, because the two
# splits (by region, by region × store) cost ~0.6 s at 10 M rows on every new filter — the cards
# themselves answer in 0.3 s.  The subject pages' 变化归因 section splits any ratio by any dimension.
why = data.attributions(*args, KPIS, view.month, lang()) if st.toggle(
    t("explain.toggle"), key="overview.explain", help=t("explain.toggle_help")) else {}

for subject in OVERVIEW:
    st.subheader(t(f"section.{subject.key}"))
    for col, key in zip(st.columns(len(subject.overview)), subject.overview):
        kpi_card(col, rows.get(key, {"kpi": key}), sparks.get(key), why.get(key))

control_flags_list(view, KPIS)
