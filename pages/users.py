"""用户与权限 (admins only): the viewers table with an editor, Excel import and template, "view as"
another viewer, and the audit log to read and export."""
from ui.router import ensure_routed

ensure_routed()
import io

import pandas as pd
import streamlit as st

from texts.errors import DomainError
from ui import data
from ui.access import begin_view_as, record, require
from ui.i18n import say, t
from ui.text import md_lines
from ui.widgets import downloads, page_title
from warehouse import access

require("viewers")
page_title("page.users")
wh = data.warehouse()
LEVEL_COLUMNS = {level: f"users.{level}" for level in access.LEVELS}


def _frame(items: list[access.Viewer]) -> pd.DataFrame:
    return pd.DataFrame([{"email": v.email, "name": v.name, "role": v.role,
                          **{lv: "、".join(getattr(v, lv)) for lv in access.LEVELS}} for v in items],
                        columns=["email", "name", "role", *access.LEVELS])


current = access.viewers(wh)
st.caption(t("users.help"))
edited = st.data_editor(
    _frame(current), num_rows="dynamic", hide_index=True, width="stretch", key="users.editor",
    column_config={"email": st.column_config.TextColumn(t("users.email"), required=True),
                   "name": st.column_config.TextColumn(t("users.name")),
                   "role": st.column_config.SelectboxColumn(t("users.role"), options=list(access.ROLES), required=True),
                   **{lv: st.column_config.TextColumn(t(key)) for lv, key in LEVEL_COLUMNS.items()}})
if st.button(t("users.save"), type="primary", key="users.save"):
    rows = edited.dropna(how="all")
    items = [access.Viewer(str(r["email"] or ""), str(r["name"] or ""), str(r["role"] or ""),
                           *(access.split_values(r[lv]) for lv in access.LEVELS))
             for r in rows.to_dict("records")]
    kept = {access.normalise_email(v.email) for v in items}
    try:
        n = access.save_viewers(wh, items, by=data.viewer_name())
        gone = [v.email for v in current if v.email not in kept]
        for email in gone:
            access.remove_viewer(wh, email, by=data.viewer_name())
        st.success(t("viewer.saved", n=n + len(gone)))
        st.rerun()
    except DomainError as exc:
        st.error(md_lines(say(exc)))

c1, c2 = st.columns(2)
with c1:
    upload = st.file_uploader(t("users.import"), type=["xlsx"], key="users.file")
    if upload is not None and st.button(t("users.import_go"), key="users.import_go"):
        try:
            n = access.save_viewers(wh, access.read_viewers_excel(io.BytesIO(upload.getvalue())), by=data.viewer_name())
            st.success(t("viewer.saved", n=n))
        except DomainError as exc:
            st.error(md_lines(say(exc)))
with c2:
    buffer = io.BytesIO()
    access.write_viewers_template(buffer, current)
    st.download_button(t("users.template"), buffer.getvalue(), "viewers.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="users.template",
                       on_click=record, args=("download", "viewers.xlsx"), kwargs={"rows": len(current)})

st.subheader(t("users.view_as"))
others = [v.email for v in current]
if others:
    who = st.selectbox(t("users.view_as_who"), others, key="users.view_as_who",
                       format_func=lambda e, by={v.email: v for v in current}: f"{by[e].name or e} · {e} · "
                                                                                 f"{t('role.' + by[e].role)}")
    # the choice is read when clicked (args bound now would be this run's choice, not the one clicked with)
    st.button(t("users.view_as_go"), key="users.view_as_go",
              on_click=lambda: begin_view_as(st.session_state["users.view_as_who"]))
else:
    st.caption(t("users.none"))

st.subheader(t("users.audit"))
log = pd.DataFrame(access.audit_rows(wh, 5000), columns=["logged_at", "actor", "action", "target", "detail"])
st.dataframe(log, hide_index=True, width="stretch", placeholder="—")
downloads(log, "audit_log", "users.audit")
st.caption(t("users.audit_help"))
