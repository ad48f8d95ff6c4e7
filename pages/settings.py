"""设置: the metric settings and the targets, checked on save (every problem at once)."""
from ui.router import ensure_routed

ensure_routed()
import json

import streamlit as st

import texts
from metrics import MetricError, save_settings
from metrics.settings import ABANDON_TREATMENTS, SETTINGS
from metrics.targets import known_scope_values, load_targets, read_targets_excel, save_targets, targets_frame
from ui import data
from ui.i18n import lang, say, t
from ui.text import md
from ui.widgets import downloads, page_title
from ui.access import record, require


require("settings")   # admins only, on the server: a direct URL gets nothing
page_title("page.settings")
wh = data.warehouse()
current = data.settings()
with st.container(border=True):
    values = {}
    cols = st.columns(3)
    for i, (key, spec) in enumerate(SETTINGS.items()):
        col, value = cols[i % 3], current.value(key)
        label, help_text = spec.label_in(lang()), spec.help_in(lang())
        if key == "abandon_treatment":
            values[key] = col.selectbox(label, ABANDON_TREATMENTS, index=ABANDON_TREATMENTS.index(value),
                                        format_func=lambda v, lg=lang(): texts.text("setting.abandon_treatment." + v, lg),
                                        help=help_text, key=f"settings.{key}")
        elif isinstance(value, bool):
            values[key] = col.checkbox(label, value, help=help_text, key=f"settings.{key}")
        else:
            values[key] = col.text_input(label, json.dumps(value, ensure_ascii=False).strip('"'),
                                         help=help_text, key=f"settings.{key}")
    if st.button(t("set.save"), type="primary", key="settings.save"):
        def parse(v):
            try:
                return json.loads(v) if isinstance(v, str) else v
            except json.JSONDecodeError:
                return v
        try:
            changes = {k: parse(v) for k, v in values.items() if parse(v) != current.value(k)}
            save_settings(wh, changes, user=data.viewer_name())
            if changes:
                record("settings", ", ".join(changes), changes=changes)
            st.success(t("set.saved"))
            if changes and data.rebuild_rollups(wh, only_stale=True):   # a changed definition: its roll-ups follow
                st.success(t("rollups.rebuilt_ui"))
        except MetricError as exc:
            st.error(md(say(exc)))

st.subheader(t("rollups.title"))
st.caption(t("rollups.about"))
st.dataframe(data.rollup_status(wh), hide_index=True, width="stretch", placeholder="—")
if st.button(t("rollups.rebuild"), key="settings.rollups"):
    data.rebuild_rollups(wh, only_stale=False)
    record("rollups", "build")
    st.success(t("rollups.rebuilt_ui"))

st.subheader(t("set.targets"))
st.dataframe(targets_frame(load_targets(wh), lang()), hide_index=True, width="stretch", placeholder="—")
upload = st.file_uploader(t("set.targets_file"), type=["xlsx"],
                          key="settings.targets_file")
if upload is not None and st.button(t("set.import_targets"), key="settings.import_targets"):
    try:
        n = save_targets(wh, read_targets_excel(upload, known=known_scope_values(wh)), user=data.viewer_name())
        record("targets", upload.name, rows=n)
        st.success(t("set.imported", n=n))
    except MetricError as exc:
        st.error(md(say(exc)))
downloads(targets_frame(load_targets(wh)), "targets", "settings.targets")
