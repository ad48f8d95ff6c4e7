"""The 月度复盘 page's parts: choosing the pack's scope, its header and downloads, a section with its
comment, and the action items."""
from __future__ import annotations

from datetime import date, timedelta
import hashlib
import json
from pathlib import Path
import tempfile

import pandas as pd
import streamlit as st

from metrics import MetricError
from reports import pack as rp
from reports.excel import workbook
from reports.pdf import write_pdf
from reports.render import actions_table, section_title, text_rows, title
import texts
from texts import fmt
from ui.access import may, record
from ui.data import viewer_name
from ui.i18n import lang, say, t
from ui.text import md

FORMATS = {"pdf": "PDF", "xlsx": "Excel"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def choose_scope(values: pd.DataFrame) -> rp.PackScope:
    c1, c2 = st.columns(2)
    level = c1.selectbox(t("rv.level"), rp.LEVELS, key="rv.level",
                         format_func=lambda k, lg=lang(): texts.text(f"level.{k}", lg))
    if level == "all":
        return rp.PackScope()
    options = sorted(v for v in values[level].dropna().unique()) if level in values else []
    value = c2.selectbox(t("rv.value"), options, key=f"rv.value.{level}")
    return rp.PackScope(level, value) if value else rp.PackScope()


def header(wh, pack: rp.Pack, viewer) -> None:
    m = pack.meta
    st.caption(t("rv.meta", by=md(m.get("created_by")), at=md(m.get("created_at")),
                 refreshed=md(m.get("refreshed_at") or t("rv.never")), rules=md(m.get("rules_version")),
                 data=md(m.get("data_version"))))
    with st.expander(t("rv.settings")):
        st.json(rp.meta_value(pack, "settings", lang()), expanded=False)
        st.caption(t("rv.log"))
        st.dataframe(rp.pack_log(wh, pack.pack_id), hide_index=True, width="stretch", placeholder="—")
    extra = dict(comments=rp.comments(wh, pack.pack_id), actions=rp.actions(wh, pack.month, pack.scope), lang=lang())
    name = f"review_{fmt.month_label(pack.month, 'en').replace(' ', '')}_{pack.scope.level}"
    c1, c2, c3 = st.columns(3)
    for col, fmt_key, build, mime in ((c1, "pdf", lambda: _pdf_bytes(pack, extra), "application/pdf"),
                                      (c2, "xlsx", lambda: workbook(pack, **extra), XLSX)):
        with col:
            _document(pack, extra, fmt_key, name, build, mime)
    if not may("refresh_pack"):
        return
    with c3:
        sure = st.checkbox(t("rv.refresh_ok"), key="rv.refresh_ok")
        if st.button(t("rv.refresh"), disabled=not sure, key="rv.refresh") and may("refresh_pack"):
            rp.create(wh, pack.month, pack.scope, viewer=viewer, by=viewer_name(), refresh=True)
            st.rerun()


def _pdf_bytes(pack: rp.Pack, extra: dict) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return write_pdf(pack, Path(tmp) / "pack.pdf", **extra).read_bytes()


def _document(pack: rp.Pack, extra: dict, kind: str, name: str, build, mime: str) -> None:
    """A document of the pack is built only when asked for (a click), kept for this session while
    the pack, its comments and actions and the language are unchanged; if building fails, a clear
    message, and the other format still works."""
    live = json.dumps(extra["comments"], ensure_ascii=False, sort_keys=True) + extra["actions"].to_json() + extra["lang"]
    state = (f"rv.doc.{kind}.{pack.pack_id}.{pack.meta.get('refreshed_at')}."
             f"{hashlib.sha256(live.encode('utf-8')).hexdigest()[:16]}")
    slot = st.empty()   # the build button, replaced by the download once built
    if state not in st.session_state:
        if not slot.button(t(f"rv.{kind}"), key=f"rv.make.{kind}", icon=":material/description:"):
            return
        try:
            with st.spinner(t("rv.building", what=FORMATS[kind])):
                st.session_state[state] = build()
        except Exception as exc:   # a value the document cannot hold must not take the page down
            slot.error(t("rv.doc_failed", what=FORMATS[kind], why=md(type(exc).__name__)))
            return
    slot.download_button(t("rv.save", what=FORMATS[kind]), st.session_state[state], f"{name}.{kind}", mime,
                         key=f"rv.{kind}", icon=":material/download:", type="primary",
                         on_click=record, args=("download", f"{name}.{kind}"), kwargs={"pack": pack.pack_id})


def section(wh, pack: rp.Pack, key: str) -> None:
    for table in pack.sections.get(key, []):
        st.markdown(f"**{md(title(table, lang()))}**")
        headers, rows = text_rows(table, lang())
        st.dataframe(pd.DataFrame(rows, columns=headers), hide_index=True, width="stretch", placeholder="—")
    note = rp.comments(wh, pack.pack_id).get(key, "")
    if not may("comment"):   # a viewer reads the comment; managers and admins write it
        if note:
            st.caption(t("rv.comment"))
            st.text(note)
        return
    body = st.text_area(t("rv.comment"), note, key=f"rv.comment.{pack.pack_id}.{key}")
    if st.button(t("rv.save_comment"), key=f"rv.save.{pack.pack_id}.{key}") and may("comment"):
        rp.save_comment(wh, pack.pack_id, key, body, by=viewer_name())
        st.success(t("rv.saved"))


def action_items(wh, pack: rp.Pack) -> None:
    frame = rp.actions(wh, pack.month, pack.scope)
    headers, rows = text_rows(actions_table(frame), lang())
    st.dataframe(pd.DataFrame(rows, columns=headers), hide_index=True, width="stretch", placeholder="—")
    if not may("comment"):
        return
    with st.form("rv.action_form", border=True):
        st.markdown(f"**{t('rv.add_action')}**")
        c1, c2, c3 = st.columns([3, 1, 1])
        what = c1.text_input(t("rv.title"), key="rv.action_title")
        owner = c2.text_input(t("rv.owner"), key="rv.action_owner")
        due = c3.date_input(t("rv.due"), date.today() + timedelta(days=14), key="rv.action_due")
        if st.form_submit_button(t("rv.add")) and may("comment"):
            try:
                rp.add_action(wh, pack.month, pack.scope, title=what, owner=owner, due=due, by=viewer_name())
                st.rerun()
            except MetricError as exc:
                st.error(md(say(exc)))
    if not frame.empty:
        c1, c2, c3 = st.columns([2, 1, 1])
        chosen = c1.selectbox(t("rv.status"), list(frame["action_id"]), key="rv.action_pick",
                              format_func=lambda a: frame.set_index("action_id").at[a, "title"])
        status = c2.selectbox(t("rv.status"), rp.ACTION_STATUS, key="rv.action_status",
                              format_func=lambda s, lg=lang(): texts.text(f"action.{s}", lg), label_visibility="hidden")
        if c3.button(t("rv.set_status"), key="rv.set_status") and may("comment"):
            rp.set_action_status(wh, int(chosen), status, by=viewer_name())
            st.rerun()


def section_tabs(wh, pack: rp.Pack) -> None:
    keys = pack.keys()
    for key, tab in zip(keys, st.tabs([section_title(k, lang()) for k in keys])):
        with tab:
            if key == "actions":
                action_items(wh, pack)
            else:
                section(wh, pack, key)
