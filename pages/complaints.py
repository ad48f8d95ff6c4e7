"""投诉闭环: the complaint register with each complaint's stage (受理 → 判定 → 方案 → 审批 → 解决 → 回访),
overdue stages flagged against the deadlines in 设置, filters by class, emotion, department and stage;
a manager in scope moves a complaint to its next stage here (audited, who and when); the loop's
KPIs, the emotion mix and each department's valid share and hours to a result (issue 19)."""
from ui.router import ensure_routed

ensure_routed()
from datetime import datetime

import pandas as pd
import streamlit as st

from metrics import MetricError
from metrics.complaints import GRADES, STAGES, advance, linked_ticket, result_hours
from metrics.months import month_key
from metrics.registry import BY_KEY
from metrics.subjects import SUBJECTS
from loaders.complaints import history
from reports import complaints as complaint_reports
from texts import fmt
from ui import charts, data, tables
from ui.access import may, record
from ui.i18n import dim_label, kpi_label, lang, say, t, value_label
from ui.text import md
from ui.widgets import detail_link, downloads, monthly_or_stop, page_view

KPIS = SUBJECTS["complaints"].page
view = page_view("page.complaints")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, tuple(KPIS))

# the month's figures, one card each
now = monthly[monthly["month"] == month_key(view.month)]   # the month's rows of the trend already computed
cards = st.columns(4)
for i, kpi in enumerate(KPIS[:8]):
    row = now[now["kpi"] == kpi]
    shown = fmt.value(row["value"].iloc[0], BY_KEY[kpi].unit, lang()) if len(row) else fmt.EMPTY
    cards[i % 4].metric(kpi_label(kpi), shown, help=BY_KEY[kpi].about(lang()), border=True)

register = data.complaint_register(*args, view.months, datetime.now().replace(second=0, microsecond=0))
left, right = st.columns(2)
left.plotly_chart(charts.trend(monthly, list(SUBJECTS["complaints"].chart), t("by_month")), theme=None,
                  key="complaints.trend")
# the emotion mix is the register's count by the dimension 客户情绪, through the builder like any figure
mix = data.figures(*args, ("complaint_items",), view.months, ("month", "emotion"))
if len(mix):
    mix = mix.assign(n=mix["value"], emotion=[value_label(e) for e in mix["emotion"]],
                     month=[fmt.month_label(m, lang()) for m in mix["month"]])
    right.plotly_chart(charts.share_bars(mix, "month", "n", "emotion", t("complaint.emotion_mix")), theme=None,
                       key="complaints.emotion")

st.subheader(t("complaint.by_department"))
by_dept = data.figures(*args, ("complaints", "complaint_valid_rate", "complaint_resolved_rate",
                               "complaint_result_hours"), view.months, ("department",))
hours = result_hours(register, ["department"]) if len(register) else pd.DataFrame(columns=["department", "n", "median", "p90"])
table = tables.wide(by_dept, ["department"], ["complaints", "complaint_valid_rate", "complaint_resolved_rate",
                                               "complaint_result_hours"])
if len(hours):
    h = hours.assign(department=[value_label(d) for d in hours["department"]]).set_index("department")
    key = dim_label("department")
    table[t("complaint.median_hours")] = [fmt.value(h["median"].get(d), "hours", lang()) for d in table[key]]
    table[t("complaint.p90_hours")] = [fmt.value(h["p90"].get(d), "hours", lang()) for d in table[key]]
st.dataframe(table, hide_index=True, width="stretch", placeholder="—", key="complaints.by_department")

st.subheader(t("complaint.register"))
c1, c2, c3, c4 = st.columns(4)
classes = c1.multiselect(t("complaint.class"), ["complaint", "opinion", "suggestion"], key="complaints.class",
                         format_func=value_label)
emotions = c2.multiselect(dim_label("emotion"), ["angry", "anxious", "sad", "noisy", "calm"],
                          key="complaints.emotion_filter", format_func=value_label)
departments = c3.multiselect(dim_label("department"), sorted(register["department"].dropna().unique().tolist()),
                             key="complaints.department")
stages = c4.multiselect(t("complaint.next"), [s.key for s in STAGES[1:]], key="complaints.stage",
                        format_func=lambda s: t(f"complaint.stage.{s}"))
overdue_only = st.toggle(t("complaint.overdue_only"), key="complaints.overdue_only")
shown = register
for column, chosen in (("complaint_class", classes), ("emotion", emotions), ("department", departments),
                       ("next_stage", stages)):
    if chosen:
        shown = shown[shown[column].isin(chosen)]
if overdue_only:
    shown = shown[shown["overdue"]]
st.caption(t("complaint.register_help", n=len(shown), overdue=int(shown["overdue"].sum()) if len(shown) else 0,
             hours="、".join(f"{t('complaint.stage.' + s.key)} {getattr(view.settings, s.deadline):g}h"
                            for s in STAGES if s.deadline)))


def stage_text(reached, nxt) -> str:
    return t(f"complaint.stage.{reached}") + " → " + (t(f"complaint.stage.{nxt}") if isinstance(nxt, str)
                                                      else t("complaint.stage.closed"))


def when(v) -> str:
    return "" if pd.isna(v) else str(v)[:16]


out = pd.DataFrame({
    t("complaint.col.id"): shown["complaint_id"],
    t("complaint.col.received_at"): [when(v) for v in shown["received_at"]],
    t("complaint.class"): [value_label(v) for v in shown["complaint_class"]],
    dim_label("category"): shown["category"],
    t("complaint.col.content"): shown["content"],
    dim_label("emotion"): [value_label(v) if isinstance(v, str) else "" for v in shown["emotion"]],
    t("complaint.col.phone"): shown["customer_phone"],
    dim_label("region"): shown["region"], dim_label("store"): shown["store"], dim_label("team"): shown["team"],
    dim_label("department"): shown["department"],
    t("complaint.col.stage"): [stage_text(a, b) for a, b in zip(shown["stage"], shown["next_stage"])],
    t("complaint.col.due"): [when(v) for v in shown["due_at"]],
    t("complaint.col.overdue"): [fmt.value(h, "hours", lang()) if o else "" for h, o in
                                 zip(shown["overdue_hours"], shown["overdue"])],
    t("complaint.col.ticket"): shown["ticket_id"],
})


def highlight(row):
    late = bool(row[t("complaint.col.overdue")])
    return ["background-color: #fdecea; color: #b71c1c" if late else ""] * len(row)


st.dataframe(out.style.apply(highlight, axis=1) if 0 < len(out) <= 2000 else out, hide_index=True,
             width="stretch", placeholder="—", key="complaints.table")
downloads(out, "complaints", "complaints.download")

if len(shown):
    st.subheader(t("complaint.update"))
    ids = shown["complaint_id"].tolist()
    pick = st.selectbox(t("complaint.pick"), ids, key="complaints.pick",
                        format_func=lambda c: f"{c} · {stage_text(*shown.set_index('complaint_id').loc[c, ['stage', 'next_stage']])}")
    row = shown.set_index("complaint_id").loc[pick]
    nxt = row["next_stage"] if isinstance(row["next_stage"], str) else None
    if isinstance(row["ticket_id"], str):
        ticket = linked_ticket(data.warehouse(), row["ticket_id"], scope=view.scope, settings=view.settings)
        with st.expander(t("complaint.ticket_link", ticket=row["ticket_id"])):
            if ticket.empty:
                st.caption(t("complaint.ticket_missing"))
            else:
                st.dataframe(ticket[[c for c in ("ticket_id", "created_at", "channel", "category", "agent", "team",
                                                 "status", "resolved_at", "customer_phone") if c in ticket.columns]],
                             hide_index=True, width="stretch", key="complaints.ticket")
    if nxt and may("complaint_stage"):
        with st.form("complaints.form"):
            st.markdown(f"**{md(t('complaint.do', stage=t('complaint.stage.' + nxt)))}**")
            values: dict = {}
            if nxt == "judged":
                values["valid"] = st.radio(t("complaint.valid"), [True, False], horizontal=True,
                                           format_func=lambda v: t("complaint.valid_yes" if v else "complaint.valid_no"),
                                           key="complaints.f.valid")
                values["responsible_department"] = st.text_input(dim_label("department"), max_chars=100,
                                                                 key="complaints.f.department")
                values["verified"] = st.checkbox(t("complaint.verified"), key="complaints.f.verified")
            elif nxt == "planned":
                values["plan"] = st.text_area(t("complaint.plan"), max_chars=2000, key="complaints.f.plan")
            elif nxt == "approved":
                st.caption(t("complaint.approve_as", user=data.viewer_name()))
            elif nxt == "resolved":
                values["resolved_at"] = st.text_input(t("complaint.resolved_at"), datetime.now().strftime("%Y-%m-%d %H:%M"),
                                                      key="complaints.f.resolved_at")
            elif nxt == "called_back":
                values["post_callback_at"] = st.text_input(t("complaint.callback_at"),
                                                           datetime.now().strftime("%Y-%m-%d %H:%M"),
                                                           key="complaints.f.callback_at")
                grade = st.selectbox(t("complaint.grade"), ["—", *GRADES], key="complaints.f.grade")
                values["post_satisfaction"] = None if grade == "—" else grade
            if st.form_submit_button(t("complaint.save"), type="primary", key="complaints.f.save") \
                    and may("complaint_stage"):
                try:
                    advance(data.warehouse(), pick, nxt, values, scope=view.scope, user=data.viewer_name())
                    record("complaint_stage", f"{pick} {nxt}")
                    st.success(t("complaint.saved"))
                    st.rerun()
                except MetricError as exc:
                    st.error(md(say(exc)))
    log = history(data.warehouse(), pick)
    if len(log):
        st.markdown(f"**{md(t('complaint.history'))}**")
        st.dataframe(pd.DataFrame({
            t("complaint.col.at"): [when(v) for v in log["changed_at"]], t("complaint.col.by"): log["changed_by"],
            t("complaint.col.stage"): [t(f"complaint.stage.{s}") for s in log["stage"]],
            t("complaint.col.field"): log["column_name"], t("complaint.col.old"): log["old_value"],
            t("complaint.col.new"): log["new_value"]}), hide_index=True, width="stretch", key="complaints.history")
st.subheader(t("creport.title"))
st.caption(t("creport.help"))
left, right = st.columns(2)
with left:
    weeks = sorted({complaint_reports.week_key(d.date()) for d in pd.to_datetime(register["received_at"])},
                   reverse=True) if len(register) else []
    week = st.selectbox(t("creport.weekly"), weeks, key="creport.week") if weeks else None
    if week and st.button(t("creport.make"), key="creport.make_weekly"):
        st.session_state["creport.weekly_doc"] = complaint_reports.create(
            data.warehouse(), "weekly", week, viewer=view.scope, by=data.viewer_name())
with right:
    level = st.segmented_control(t("creport.notice"), ["department", "region", "all"], default="department",
                                 key="creport.level", format_func=lambda v: t("level.all") if v == "all"
                                 else t(f"creport.level.{v}"))
    names = sorted(register[level].dropna().unique().tolist()) if level in ("department", "region") and len(register) else []
    value = st.selectbox(t("creport.to"), names, key="creport.value") if names else None
    if (level == "all" or value) and st.button(t("creport.make"), key="creport.make_notice"):
        st.session_state["creport.notice_doc"] = complaint_reports.create(
            data.warehouse(), "notice", view.month, level=level or "all", value=None if level == "all" else value,
            viewer=view.scope, by=data.viewer_name())
for key, col in (("creport.weekly_doc", left), ("creport.notice_doc", right)):
    report = st.session_state.get(key)
    if report is not None:
        name = report.label(lang()).replace(" · ", "_").replace("/", "-")
        col.caption(md(report.label(lang())))   # names from the data: shown as text
        a, b = col.columns(2)
        a.download_button(t("download_pdf"), lambda r=report: complaint_reports.pdf_bytes(r, lang()), f"{name}.pdf",
                          "application/pdf", key=f"{key}.pdf", on_click=record, args=("download", f"{name}.pdf"))
        b.download_button(t("download_xlsx"), lambda r=report: complaint_reports.workbook(r, lang()), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}.xlsx",
                          on_click=record, args=("download", f"{name}.xlsx"))
detail_link("complaints", "numerator")
