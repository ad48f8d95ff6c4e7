"""预警: the company's rules as alerts — open, acknowledged and resolved, with who and when, the
history, a link to the evidence; admins edit the rules (issue 18, point 3)."""
from ui.router import ensure_routed

ensure_routed()
import pandas as pd
import streamlit as st

from alerts import engine
from metrics.registry import KEYS
from texts import fmt
from ui import data
from ui.access import may, record
from ui.i18n import kpi_label, lang, say, t
from ui.text import md
from ui.widgets import page_view

view = page_view("page.alerts")
wh = data.warehouse()
if may("acknowledge") and st.button(t("alerts.check", month=fmt.month_label(view.month, lang())),
                                    key="alerts.check", icon=":material/notifications_active:"):
    new = engine.evaluate(wh, month=view.month, by=data.viewer_name())
    record("alerts_check", fmt.month_label(view.month, "zh"), new=len(new))
    st.success(t("alerts.checked", n=len(new)))

shown = st.multiselect(t("alerts.show"), engine.STATUSES, default=["open", "acknowledged"], key="alerts.status",
                       format_func=lambda s: t(f"alerts.status.{s}"))
found = engine.visible(wh, view.scope, shown or engine.STATUSES)


def who(by, at) -> str:
    return f"{by} · {str(at)[:16]}" if isinstance(by, str) and by else ""


if found.empty:
    st.info(t("alerts.none"))
else:
    table = pd.DataFrame({
        "id": found["alert_id"],
        t("alerts.col.opened_at"): [str(v)[:16] for v in found["opened_at"]],
        t("alerts.col.kind"): [t(f"alerts.kind.{k}") for k in found["kind"]],
        t("alerts.col.message"): [engine.describe(r, lang()) for r in found.to_dict("records")],
        t("alerts.col.status"): [t(f"alerts.status.{s}") for s in found["status"]],
        t("alerts.col.acknowledged"): [who(b, a) for b, a in zip(found["acknowledged_by"], found["acknowledged_at"])],
        t("alerts.col.resolved"): [who(b, a) for b, a in zip(found["resolved_by"], found["resolved_at"])],
        t("alerts.col.link"): list(found["link"]),
    })
    st.dataframe(table, hide_index=True, width="stretch", key="alerts.table", column_config={
        t("alerts.col.link"): st.column_config.LinkColumn(display_text=t("alerts.col.link"))})
    ids = list(found["alert_id"])
    labels = dict(zip(ids, table[t("alerts.col.message")]))
    pick = st.selectbox(t("alerts.pick"), ids, key="alerts.pick", format_func=lambda a: f"#{a} {labels[a]}")
    if may("acknowledge"):
        c1, c2, c3 = st.columns(3)
        for col, status, label in ((c1, "acknowledged", "alerts.acknowledge"), (c2, "resolved", "alerts.resolve"),
                                   (c3, "open", "alerts.reopen")):
            if col.button(t(label), key=f"alerts.set.{status}") and may("acknowledge"):
                engine.set_status(wh, int(pick), status, by=data.viewer_name(), scope=view.scope)
                record("alert_" + status, str(pick))
                st.rerun()
    st.markdown(f"**{md(t('alerts.history'))}**")
    log = engine.history(wh, int(pick))
    st.dataframe(pd.DataFrame({
        t("alerts.col.action"): [t(f"alerts.action.{a}") for a in log["action"]],
        t("alerts.col.by"): log["by_whom"], t("alerts.col.at"): [str(v)[:19] for v in log["logged_at"]],
    }), hide_index=True, width="stretch", key="alerts.history")

if may("alert_rules"):
    st.subheader(t("alerts.rules"))
    st.caption(t("alerts.rules_help"))
    rules = engine.rules(wh).astype({"kpi": "object", "scope_value": "object", "notify": "object"})
    rules = rules.where(rules.notna(), None)
    edited = st.data_editor(
        rules[["rule_id", "kind", "kpi", "scope_level", "scope_value", "threshold", "notify", "enabled"]],
        num_rows="dynamic", hide_index=True, width="stretch", key="alerts.rules", column_config={
            "rule_id": st.column_config.NumberColumn(t("alerts.col.rule_id"), disabled=True),
            "kind": st.column_config.SelectboxColumn(t("alerts.col.kind"), options=list(engine.KINDS), required=True,
                                                     format_func=lambda k: t(f"alerts.kind.{k}")),
            "kpi": st.column_config.SelectboxColumn(t("kpi"), options=list(KEYS), format_func=kpi_label),
            "scope_level": st.column_config.SelectboxColumn(t("alerts.col.scope_level"), options=list(engine.LEVELS),
                                                            format_func=lambda v: t(f"level.{v}")),
            "scope_value": st.column_config.TextColumn(t("alerts.col.scope_value")),
            "threshold": st.column_config.NumberColumn(t("alerts.col.threshold")),
            "notify": st.column_config.TextColumn(t("alerts.col.notify")),
            "enabled": st.column_config.CheckboxColumn(t("alerts.col.enabled"), default=True)})
    with st.expander(t("alerts.thresholds")):
        for k, kind in engine.KINDS.items():
            st.text(f"{t('alerts.kind.' + k)}（{k}）: {t('alerts.threshold.' + k)} · {kind.threshold:g}")
    if st.button(t("alerts.save_rules"), key="alerts.save") and may("alert_rules"):
        try:
            n = engine.save_rules(wh, edited, by=data.viewer_name())
            record("alert_rules", "", rules=n)
            st.success(t("alerts.rules_saved", n=n))
        except engine.AlertError as exc:
            st.error(md(say(exc)))
