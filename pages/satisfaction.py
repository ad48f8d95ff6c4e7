"""回访满意度: reach, coverage, next-day, 满意率 and points by team and month; the A/B/C/D mix;
the dissatisfied callbacks with their comments (phones masked)."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from texts import fmt
from metrics.subjects import SUBJECTS
from ui import charts, data, tables
from ui.i18n import labelled, lang, t
from ui.widgets import (attribution_section, control_section, detail_link, monthly_or_stop, page_view,
                        worklists_section)

KPIS = list(SUBJECTS["satisfaction"].page)

view = page_view("page.satisfaction")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, tuple(KPIS))
left, right = st.columns(2)
left.plotly_chart(charts.trend(monthly, ["callback_reach_rate", "callback_coverage_rate", "callback_next_day_rate",
                                         "satisfaction_rate"], t("by_month")), theme=None, key="sat.trend")
mix = data.breakdown("grade_mix", *args, view.months)
mix["month"] = [fmt.month_label(m, lang()) for m in mix["month"]]
colours = {"A": fmt.STATUS_COLOURS["green"], "B": "#81c784", "C": fmt.STATUS_COLOURS["amber"],
           "D": fmt.STATUS_COLOURS["red"]}
right.plotly_chart(charts.share_bars(mix, "month", "n", "grade", t("grade_mix"), colours), theme=None, key="sat.mix")

st.subheader(t("by_team"))
by_team = data.figures(*args, tuple(KPIS), view.months, ("team",))
st.dataframe(tables.wide(by_team, ["team"], KPIS), hide_index=True, width="stretch", placeholder="—")

st.subheader(t("dissatisfied_list"))
rows = data.rows_behind(*args, "dissatisfied", view.months, "numerator")
st.dataframe(labelled(rows[["callback_at", "team", "agent", "satisfaction", "comment", "customer_phone", "ticket_id"]]),
             hide_index=True, width="stretch", placeholder="—")
worklists_section(view)
kpis = (*SUBJECTS["satisfaction"].page, *SUBJECTS["satisfaction"].pack)
attribution_section(view, kpis, "satisfaction")
control_section(view, kpis, "satisfaction")
detail_link("dissatisfied", "numerator")
