"""The 绩效考核 page's sections: ranking, the paper form of one agent, inputs, callback sample,
rectification plans, year view, installer units and rules.  Results are cached per warehouse,
appraisal state token, viewer scope, month and division (``data``-style keys)."""
from __future__ import annotations

from datetime import date
import functools

import pandas as pd
import streamlit as st

from appraisal import inputs as ap_inputs, installers, publish, sampler
from appraisal.export import CARD_COLUMNS, header, section_name, workbook
from appraisal.month import ITEM_COLUMNS, Month, appraisal, flag_labels, year_view
from appraisal.rules import RULES, rule_history, rules_for, save_rules
from appraisal.scorecard import RED_FLAGS, line_text
from metrics import MetricError, Scope
from metrics.months import month_key
import texts
from texts import fmt
from ui import charts
from ui.access import may, record
from ui.data import viewer_name, viewer_scope, warehouse
from ui.i18n import lang, say, t
from ui.text import md
from ui.widgets import downloads
from warehouse.safety import safe_frame

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
def show(frame, key: str, *, progress: tuple[str, ...] = (), styler=None) -> None:
    """A read-only table with the page's column labels; ``progress`` columns (0–1) drawn as bars."""
    label = functools.partial(header, lang=lang())
    config = {c: st.column_config.ProgressColumn(label(c), min_value=0, max_value=1, format="percent")
              for c in progress}
    config.update({c: label(c) for c in frame.columns if c not in progress})
    st.dataframe(styler(frame) if styler else frame, hide_index=True, width="stretch", placeholder="—", key=key,
                 column_config=config)


@st.cache_data(ttl=600, show_spinner=False)
def month_view(url: str, state: str, scope: Scope, month: date, division: str) -> Month:  # noqa: ARG001

    return appraisal(warehouse(), month, division, scope=scope)


@st.cache_data(ttl=600, show_spinner=False)
def year_frame(url: str, state: str, scope: Scope, year: int, until: date, division: str) -> pd.DataFrame:  # noqa: ARG001

    return year_view(warehouse(), year, division, scope=scope, until=until)


def narrowed(month: Month, filters) -> Month:
    """The month's rows within the sidebar's region / store / team choices (ranks stay the division's)."""
    keep = Scope.of(filters.region, filters.store, filters.team).mask(month.frame)
    frame = month.frame[keep].reset_index(drop=True)
    return Month(month.month, month.division, frame, {a: month.cards[a] for a in frame["agent_id"]},
                 month.rules_version, month.published, month.started)


def _headers(columns) -> dict[str, str]:
    return {c: header(c, lang()) for c in columns}


def _flag_text(flags) -> str:
    text = flag_labels(flags, lang())
    return ("🔴 " + text) if set(flags) & RED_FLAGS else text


def ranking_table(month: Month) -> pd.DataFrame:
    cols = ["rank", "agent_id", "agent_name", "team", *ITEM_COLUMNS[month.division], "total",
            *(["composite"] if month.division == "aftersales" else []), "pay", "flags"]
    frame = month.frame[cols].copy()
    for c in cols:
        if c not in ("agent_id", "agent_name", "team", "flags"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce")  # None (item not entered) → NaN → "—"
    frame["flags"] = frame["flags"].map(_flag_text)
    return frame.rename(columns=_headers(cols))


def status_line(month: Month) -> None:
    if month.published:
        st.success(t("ap.published", by=md(month.published["by"]), at=md(month.published["at"]),
                     version=md(month.published["rules_version"])), icon=":material/lock:")
    else:
        st.info(t("ap.live", version=md(month.rules_version)), icon=":material/sync:")
        if not month.started:
            st.warning(t("ap.not_started"))


def ranking(wh, month: Month) -> None:
    frame = month.frame
    red = int(sum(bool(set(f) & {"red_line"}) for f in frame["flags"]))
    c = st.columns(4)
    c[0].metric(t("ap.agents"), len(frame))
    c[1].metric(t("ap.mean"), fmt.value(frame["composite"].mean(), "points", lang()))
    c[2].metric(t("ap.pay_total"), fmt.value(frame["pay"].sum(), "yuan", lang()))
    c[3].metric(t("ap.red"), red)
    table = ranking_table(month)
    red_rows = [bool(set(f) & RED_FLAGS) for f in frame["flags"]]
    styled = table.style.apply(lambda row: ["color: #C0392B; font-weight: 600" if red_rows[row.name] else ""
                                            for _ in row], axis=1).format(precision=1, na_rep="—")
    st.dataframe(styled, hide_index=True, width="stretch", placeholder="—", key="ap.ranking")
    st.plotly_chart(charts.score_bars(frame, "composite", t("ap.score"), t("ap.tab.ranking")), theme=None,
                    key="ap.chart")
    name = f"{month_key(month.month)}_{month.division}_appraisal"
    st.download_button(t("ap.export"), workbook(month, lang()), f"{name}.xlsx", XLSX, key="ap.export",
                       icon=":material/download:", on_click=record, args=("download", f"{name}.xlsx"),
                       kwargs={"rows": len(frame)})
    with st.container(border=True):
        if not may("publish"):   # publishing is the admins'; the log is for everyone who may read
            _publish_log(wh, month)
            return
        again = st.checkbox(t("ap.republish"), key="ap.republish", disabled=not month.published)
        if st.button(t("ap.publish"), type="primary", key="ap.publish", disabled=bool(month.published) and not again) \
                and may("publish"):
            try:
                n = publish.publish(wh, month.month, month.division, by=viewer_name(), republish=bool(month.published))
                record("publish", f"{month_key(month.month)} {month.division}", agents=n,
                       republish=bool(month.published))
                st.success(t("ap.published_ok", n=n))
                st.rerun()
            except MetricError as exc:
                st.error(md(say(exc)))
        _publish_log(wh, month)


def _publish_log(wh, month: Month) -> None:
    log = publish.publish_log(wh, month.month)
    if not log.empty:
        st.caption(t("ap.publish_log"))
        show(log, "ap.publish_log")


def agent_form(month: Month) -> None:
    """One agent's card laid out like the paper form: header, the items table, totals, flags."""
    rows = month.frame.set_index("agent_id")
    agent = st.selectbox(t("ap.agent"), list(rows.index), key="ap.agent",
                         format_func=lambda a: f"{rows.at[a, 'agent_name'] or ''}（{a}）")
    if agent is None:
        return
    row, card = rows.loc[agent], month.cards[agent]
    division = texts.text(f"value.{month.division}", lang())
    st.markdown(f"#### {t('ap.form_title', division=division)}")
    c = st.columns(4)
    c[0].markdown(f"**{t('ap.agent')}**  \n{md(row['agent_name'] or '')}（{md(agent)}）")
    c[1].markdown(f"**{header('team', lang())}**  \n{md(row['team'] or '—')}")
    c[2].markdown(f"**{t('ap.month')}**  \n{fmt.month_label(month.month, lang())}")
    c[3].markdown(f"**{t('ap.rank')}**  \n{int(row['rank'])} / {len(rows)}")
    lines = pd.DataFrame(card["lines"])
    names = {c: t(f"card.col.{c}") for c in CARD_COLUMNS}
    for part in ("label", "rule"):   # in the viewer's language (a card published in Chinese only: as it is)
        lines[part] = [line_text(line, part, lang()) for line in card["lines"]]
    lines.loc[lines["section"] == "T", "item"] = ""
    lines["section"] = lines["section"].map(lambda s: section_name(s, lang()))
    for c in ("count", "points", "weight", "weighted"):
        lines[c] = pd.to_numeric(lines[c], errors="coerce")
    shown = lines[list(names)].rename(columns=names)
    formats = {names["count"]: "{:g}", names["points"]: "{:.2f}", names["weight"]: "{:.0%}", names["weighted"]: "{:.2f}"}
    st.dataframe(shown.style.format(formats, na_rep=""), hide_index=True, width="stretch", placeholder="", key="ap.form")
    c = st.columns(3)
    c[0].metric(t("ap.score"), fmt.value(row["composite"], "points", lang()))
    c[1].metric(t("ap.pay"), fmt.value(row["pay"], "yuan", lang()))
    c[2].metric(t("ap.rank"), int(row["rank"]))
    if row["flags"]:
        text = flag_labels(row["flags"], lang())
        (st.error if set(row["flags"]) & RED_FLAGS else st.warning)(md(text))


def inputs_editor(wh, month: date, division: str) -> None:
    st.download_button(t("ap.template"), ap_inputs.template(wh, month, division, lang()),
                       f"scorecard_inputs_{month_key(month)}_{division}.xlsx", XLSX, key="ap.template",
                       icon=":material/download:")
    st.caption(t("ap.upload_hint"))
    if may("load"):   # the import page is in the admins' navigation only
        st.page_link("pages/imports.py", label=t("page.import"), icon=":material/upload_file:")
    if not may("edit_inputs"):
        st.info(t("auth.read_only"), icon=":material/visibility:")
        return
    frame = ap_inputs.current(wh, month, division, scope=viewer_scope())
    config = {**{c: st.column_config.TextColumn(header(c, lang()), disabled=True)
                 for c in ("agent_id", "agent_name", "team")},
              **{c.name: _input_column(c) for c in ap_inputs.EDITABLE}}
    edited = st.data_editor(frame, hide_index=True, width="stretch", column_config=config, num_rows="fixed",
                            key=f"ap.editor.{month_key(month)}.{division}")
    if st.button(t("ap.save_inputs"), type="primary", key="ap.save_inputs") and may("edit_inputs"):
        try:
            st.success(t("ap.saved_inputs", n=ap_inputs.save_edits(wh, month, edited, by=viewer_name(),
                                                                   scope=viewer_scope())))
        except MetricError as exc:
            st.error(md(say(exc)))
    log = ap_inputs.audit(wh, month)
    if not log.empty:
        st.caption(t("ap.audit"))
        show(safe_frame(log), "ap.audit")
    with st.form("ap.excuse_form", border=True):
        ids = st.text_input(t("ap.excuse"), key="ap.excuse_ids")
        reason = st.text_input(t("ap.excuse_reason"), key="ap.excuse_reason")
        if st.form_submit_button(t("ap.excuse_go")) and may("edit_inputs"):
            try:
                st.success(t("ap.excused", n=ap_inputs.excuse(wh, ids.replace("，", ",").split(","), reason,
                                                                by=viewer_name())))
            except MetricError as exc:
                st.error(md(say(exc)))
    excused = ap_inputs.excusals(wh)
    if not excused.empty:
        show(safe_frame(excused), "ap.excusals")


def _input_column(column):
    label = ap_inputs.HEADERS[column.name] if lang() == "zh" else column.name
    if column.kind.value == "vocab":
        return st.column_config.SelectboxColumn(label, options=["A", "B", "C", "D", "E"])
    if column.kind.value == "int":
        return st.column_config.NumberColumn(label, min_value=0, step=1)
    if column.kind.value == "number":
        return st.column_config.NumberColumn(label, min_value=0, max_value=column.max_value)
    return st.column_config.TextColumn(label)


def callback_sample(wh, state: str, month: date, division: str, scope: Scope) -> None:
    if division != "aftersales":
        st.info(t("ap.sampler_only"))
        return
    size = rules_for(wh, month).int("sampler.size")
    calls = sample_frame(wh.url, state, scope, month, size)
    prog = sampler.progress(calls, size)
    st.caption(t("ap.progress"))
    show(prog, "ap.progress", progress=("done",))
    st.caption(t("ap.call_list"))
    show(calls, "ap.calls")
    downloads(calls, f"callback_sample_{month_key(month)}", "ap.calls")


def plans_tracker(wh, month: date, division: str, visible: set[str]) -> None:
    frame = publish.plans(wh, month, division)
    frame = frame[frame["agent_id"].isin(visible)]
    if frame.empty:
        st.info(t("ap.no_plans"))
        return
    shown = frame.assign(status=[texts.text(f"plan.{s}", lang()) for s in frame["status"]])
    show(shown.drop(columns=["month"]), "ap.plans")
    agent = st.selectbox(t("ap.agent"), list(frame["agent_id"]), key="ap.plan_agent")
    c1, c2 = st.columns(2)
    for col, action, label in ((c1, "submit", "ap.plan_submit"), (c2, "accept", "ap.plan_accept")):
        if may("edit_inputs") and col.button(t(label), key=f"ap.plan.{action}"):
            publish.update_plan(wh, month, division, agent, action=action, by=viewer_name())
            st.success(t("ap.plan_done"))
            st.rerun()


def year_table(url: str, state: str, scope: Scope, month: date, division: str) -> None:
    st.caption(t("ap.year", year=month.year))
    frame = year_frame(url, state, scope, month.year, month, division)
    show(frame, "ap.year", styler=lambda f: f.style.format(precision=1, na_rep="—"))
    downloads(frame, f"appraisal_{month.year}_{division}", "ap.year")


@st.cache_data(ttl=600, show_spinner=False)
def sample_frame(url: str, state: str, scope: Scope, month: date, size: int) -> pd.DataFrame:  # noqa: ARG001
    return sampler.sample(warehouse(), month, scope=scope, size=size)


@st.cache_data(ttl=600, show_spinner=False)
def unit_frames(url: str, state: str, scope: Scope, month: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # noqa: ARG001
    """Scores, and the next-day callback coverage and overdue list (a scan of the month's resolved
    tickets: seconds at 10 M rows), cached per data state and viewer scope like the cards."""
    wh = warehouse()
    return (installers.unit_scores(wh, month, scope=scope), *installers.callback_coverage(wh, month, scope=scope))


def installer_units(url: str, state: str, scope: Scope, month: date) -> None:
    units, daily, overdue = unit_frames(url, state, scope, month)
    st.caption(t("ap.units"))
    if units.empty:
        st.info(t("ap.no_units"))
    else:
        show(units, "ap.units", styler=lambda f: f.style.apply(
            lambda r: ["color: #C0392B; font-weight: 600" if r["flagged"] else "" for _ in r], axis=1
        ).format(precision=1, na_rep="—"))
    st.caption(t("ap.coverage"))
    show(daily, "ap.coverage", progress=("coverage",))
    st.caption(t("ap.overdue"))
    show(overdue, "ap.overdue")


def rules_panel(wh, month: date) -> None:
    rules = rules_for(wh, month)
    st.caption(t("ap.rules_in_force") + f" · {md(rules.version)}")
    table = pd.DataFrame([{"key": k, "rule": r.label_in(lang()), "value": rules[k], "default": r.default,
                           "changed": "●" if rules[k] != r.default else ""} for k, r in RULES.items()])
    show(table, "ap.rules")
    with st.form("ap.rule_form", border=True):
        st.markdown(f"**{t('ap.rule_change')}**")
        c = st.columns(3)
        key = c[0].selectbox(t("ap.rule_key"), list(RULES),
                             format_func=lambda k, lg=lang(): t("ap.rule_option", label=RULES[k].label_in(lg), key=k),
                             key="ap.rule_key")
        value = c[1].number_input(t("ap.rule_value"), value=float(rules[key]), key="ap.rule_value")
        start = c[2].text_input(t("ap.rule_from"), month_key(month), key="ap.rule_from")
        if st.form_submit_button(t("ap.rule_save"), disabled=not may("settings")) and may("settings"):
            try:
                save_rules(wh, {key: value}, start, by=viewer_name())
                st.success(t("ap.rule_saved"))
            except MetricError as exc:
                st.error(md(say(exc)))
    history = rule_history(wh)
    if history:
        st.caption(t("ap.rule_history"))
        show(pd.DataFrame([dict(h, label=RULES[h["key"]].label_in(lang()) if h["key"] in RULES else h["key"])
                           for h in history]), "ap.rule_history")
