"""话务: 3声内接听率, answer/abandon rates, ASA, AHT by month; weekday × hour heatmaps; teams side by side."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from metrics.registry import BY_KEY, Unit
from metrics.subjects import SUBJECTS
from ui import charts, data
from ui.i18n import t
from ui.widgets import attribution_section, control_section, detail_link, monthly_or_stop, page_view

CALLS = SUBJECTS["calls"].page
RATES = [k for k in CALLS if BY_KEY[k].unit is Unit.PERCENT]   # one chart per unit
TIMES = [k for k in CALLS if BY_KEY[k].unit is Unit.SECONDS]

view = page_view("page.calls")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, CALLS)
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
kpis = (*SUBJECTS["calls"].page, *SUBJECTS["calls"].pack)
attribution_section(view, kpis, "calls")
control_section(view, kpis, "calls")
detail_link("answer_within_3_rings_rate")
