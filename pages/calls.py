"""话务: 3声内接听率, answer/abandon rates, ASA, AHT by month; weekday × hour heatmaps; teams side by side."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from ui import charts, data
from ui.i18n import t
from ui.widgets import detail_link, monthly_or_stop, page_view

RATES = ["answer_within_3_rings_rate", "answer_rate", "abandon_rate"]
TIMES = ["asa_seconds", "aht_seconds"]

view = page_view("page.calls")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, tuple(RATES + TIMES + ["offered_calls"]))
left, right = st.columns(2)
left.plotly_chart(charts.trend(monthly, RATES, t("by_month")), theme=None, key="calls.rates")
right.plotly_chart(charts.trend(monthly, TIMES, t("by_month")), theme=None, key="calls.times")

teams = data.figures(*args, ("answer_within_3_rings_rate",), view.months, ("month", "team"))
st.plotly_chart(charts.bars(teams, "answer_within_3_rings_rate", "team", t("by_team"), colour_by="month"),
                theme=None, key="calls.teams")

grid = data.breakdown("hour_weekday", *args, view.months)
left, right = st.columns(2)
left.plotly_chart(charts.heatmap(grid, "offered", t("heatmap_offered")), theme=None, key="calls.heat_offered")
right.plotly_chart(charts.heatmap(grid, "rate", t("heatmap_rate"), percent=True), theme=None, key="calls.heat_rate")
detail_link("answer_within_3_rings_rate")
