"""人力排班: Erlang C per half hour from the loaded calls (a month, a weekday), what-if inputs, the
seed's seat rule, and the weekly answer rate with the seat alert (issue 18, point 4)."""
from ui.router import ensure_routed

ensure_routed()
import pandas as pd
import streamlit as st

from metrics import staffing
from texts import fmt
from texts.fmt import month_label
from ui import charts, data
from ui.i18n import lang, t, weekday
from ui.text import md
from ui.widgets import page_view

WEEKS = 12   # the weekly answer-rate trend

view = page_view("page.staffing")
st.caption(f"{month_label(view.month, lang())} · {md(view.scope.describe(lang()))}")
load = data.staffing_load(view.url, view.version, view.scope, view.filters, view.settings, view.month)
if load.empty:
    st.info(t("staffing.no_calls", month=month_label(view.month, lang())))
    st.stop()
whole = staffing.plan(load, target_level=view.settings.service_level_target,
                      target_seconds=view.settings.service_level_seconds)
data_aht = staffing.mean_aht(whole)

st.subheader(t("staffing.what_if"))
c = st.columns(6)
days = [0, *sorted(int(d) for d in load["weekday"].unique())]
day = c[0].selectbox(t("weekday"), days, key="staffing.weekday",
                     format_func=lambda d: t("staffing.every_day") if d == 0 else weekday(d))
# the inputs' ranges widen to hold whatever the data says (a mis-exported talk time of two days
# must show, not stop the page)
aht_default = float(max(1, round(data_aht or 180.0)))
aht = c[1].number_input(t("staffing.aht"), min_value=1.0, max_value=max(7200.0, aht_default), value=aht_default,
                        step=5.0, key="staffing.aht", help=t("staffing.aht_help", aht=f"{data_aht:.0f}"))
level = c[2].number_input(t("staffing.target_level"), min_value=1.0, max_value=99.9,
                          value=round(view.settings.service_level_target * 100, 1), step=1.0, key="staffing.level")
seconds = c[3].number_input(t("staffing.target_seconds"), min_value=1.0, max_value=600.0,
                            value=float(view.settings.service_level_seconds), step=5.0, key="staffing.seconds")
shrink = c[4].number_input(t("staffing.shrinkage"), min_value=0.0, max_value=90.0, value=30.0, step=5.0,
                           key="staffing.shrinkage", help=t("staffing.shrinkage_help"))
what = dict(aht=aht, target_level=level / 100, target_seconds=seconds, shrinkage=shrink / 100)
plan = staffing.plan(load, weekday=day or None, **what)
needed = int(plan["staff_needed"].max())
headcount = c[5].number_input(t("staffing.headcount"), min_value=0, max_value=max(10_000, needed),
                              value=needed, step=1, key="staffing.headcount",
                              help=t("staffing.headcount_help"))
plan = staffing.plan(load, weekday=day or None, headcount=int(headcount), **what)

grid = staffing.week_plan(load, **what)
st.plotly_chart(charts.staffing_heatmap(grid.rename(columns={"agents_needed": "agents"}),
                                        t("staffing.heatmap", month=month_label(view.month, lang()))),
                theme=None, key="staffing.heatmap")
label = t("staffing.every_day") if day == 0 else weekday(day)
st.plotly_chart(charts.staffing_day(plan, t("staffing.day", day=label)), theme=None, key="staffing.day")
worst = plan["headcount_service_level"].min()
st.caption(t("staffing.headcount_result", headcount=int(headcount), on_phones=int(headcount * (1 - shrink / 100)),
             worst=fmt.value(worst, "percent", lang()), target=fmt.value(level / 100, "percent", lang()),
             seconds=f"{seconds:g}"))
shown = pd.DataFrame({
    t("staffing.col.time"): plan["time"],
    t("staffing.col.calls"): [f"{v:.1f}" for v in plan["calls"]],
    t("staffing.col.aht"): [fmt.value(v, "seconds", lang()) for v in plan["aht_seconds"]],
    t("staffing.col.agents_needed"): plan["agents_needed"],
    t("staffing.col.staff_needed"): plan["staff_needed"],
    t("staffing.col.service_level"): [fmt.value(v, "percent", lang()) for v in plan["service_level"]],
    t("staffing.col.asa"): [fmt.value(v, "seconds", lang()) for v in plan["asa_seconds"]],
    t("staffing.col.agents_answering"): [f"{v:.1f}" for v in plan["agents_answering"]],
    t("staffing.col.headcount_sl"): [fmt.value(v, "percent", lang()) for v in plan["headcount_service_level"]],
    t("staffing.col.headcount_asa"): [fmt.value(v, "seconds", lang()) if v == v and v != float("inf") else "∞"
                                      for v in plan["headcount_asa_seconds"]],
})
st.dataframe(shown, hide_index=True, width="stretch", key="staffing.table")
st.caption(t("staffing.method", days=int(plan["days"].iloc[0]) if not plan.empty else 0))

st.subheader(t("staffing.seats"))
s = view.settings
c1, c2 = st.columns([1, 2])
subscribers = c1.number_input(t("staffing.subscribers"), min_value=0, max_value=1_000_000_000, value=100_000,
                              step=10_000, key="staffing.subscribers")
cap = staffing.capacity(int(subscribers), s)
c2.markdown(t("staffing.seat_rule", per_seat=f"{s.subscribers_per_seat:,.0f}", seats=cap["seats"],
              hours=f"{s.seat_hours_per_day:g}", days=f"{s.working_days_per_month:g}",
              legal=f"{s.legal_hours_per_month:g}", staff_per_seat=f"{cap['staff_per_seat']:.2f}",
              staff=cap["staff"]))

st.subheader(t("staffing.weekly"))
weekly = data.weekly_answer_rates(view.url, view.version, view.scope, view.filters, view.settings, view.month, WEEKS)
alerts = [staffing.seat_alert(weekly["answer_rate"].iloc[: i + 1]) for i in range(len(weekly))]
st.plotly_chart(charts.weekly_rates(weekly, alerts, t("staffing.weekly_title", weeks=WEEKS)), theme=None,
                key="staffing.weekly")
if alerts and alerts[-1]:
    st.error(t("staffing.alert_now"), icon=":material/warning:")
else:
    st.caption(t("staffing.alert_rule"))
