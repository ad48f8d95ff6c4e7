"""数据导入: upload exports (kind detected from the headers or a profile, or chosen), progress, the
load report and its warnings; the import wizard (ui/wizard.py); the load log, open rejected rows to
download, the mapping file editor."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from loaders import LoadError, profiles, quality as quality_checks, status
from loaders.schema import SCHEMAS
from ui import data, wizard
from ui.imports import AUTO, kind_label, load_upload, mapping_path, save_mapping
from ui.i18n import lang, say, t
from ui.text import md, md_lines
from ui.widgets import downloads, page_title
from ui.access import require
from warehouse.safety import mask_phones_in

require("load")   # admins only, on the server: a direct URL gets nothing
page_title("page.import")
wh = data.warehouse()
quick, guided = st.tabs([t("imp.tab.quick"), t("imp.tab.wizard")])
with quick, st.form("import.form", clear_on_submit=True):
    files = st.file_uploader(t("imp.files"), accept_multiple_files=True, key="import.files",
                             type=["csv", "txt", "tsv", "xlsx", "xlsm"])
    kind = st.selectbox(t("imp.kind"), [None, *SCHEMAS], key="import.kind",
                        format_func=lambda k, auto=t("imp.auto"), lg=lang(): auto if k is None else kind_label(k, lg))
    profile = st.selectbox(t("imp.profile"), [AUTO, *sorted({p["name"] for p in profiles.profiles(wh)})],
                           key="import.profile", format_func=lambda n, auto=t("imp.profile_auto"): auto if n == AUTO else n)
    strict = st.checkbox(t("imp.strict"), key="import.strict")
    submitted = st.form_submit_button(t("imp.go"), type="primary")
if submitted:
    with quick:
        for upload in files or []:
            try:
                chosen, report, used = load_upload(wh, upload, kind, strict, data.viewer_name(), profile)
            except Exception as exc:   # LoadError, or anything unforeseen: a message, never a traceback
                st.error(f"{md(upload.name)}：{md_lines(say(exc))}")
                continue
            (st.warning if report.rows_rejected or report.warnings else st.success)(md(report.summary(lang())))
            if used:
                st.caption(md(t("imp.used_profile", name=used)))
            for line in report.warning_lines(lang()):
                st.warning(md(line), icon=":material/warning:")
with guided:
    wizard.render(wh)

version = data.version()
counts = data.table_counts(wh.url, version, lang())
for col, row in zip(st.columns(len(counts)), counts.itertuples()):
    col.metric(row.label, f"{row.rows:,}")
st.subheader(t("imp.log"))
st.dataframe(data.load_log(wh.url, version).drop(columns="sha256"), hide_index=True, width="stretch", placeholder="—")

st.subheader(t("imp.rejects"))
rejects = status.rejects(wh, limit=20_000)   # open ones: a later load of their key resolved the others


def masked(frame):   # the cells verbatim, phone numbers masked: the 500 shown now, the download's when it is made
    return frame.assign(raw_row=frame["raw_row"].map(mask_phones_in))


st.dataframe(masked(rejects.head(500)), hide_index=True, width="stretch", placeholder="—")
if len(rejects):
    downloads(rejects, "rejects", "import.rejects", prepare=masked)

st.subheader(t("dq.title"))
st.caption(t("dq.caption"))
by = st.segmented_control(t("dq.by"), ["month", "load"], default="month", key="dq.by", required=True,
                          format_func=lambda v: t(f"dq.by.{v}"))
found = data.quality(wh.url, version, by)
if found.empty:
    st.success(t("dq.none"))
else:
    label = {c.key: t(f"dq.{c.key}") for c in quality_checks.CHECKS}
    found = found.assign(group=[str(v)[:7] if by == "month" else f"#{v}" for v in found[by]])
    grid = found.pivot_table(index="check", columns="group", values="n", aggfunc="sum", fill_value=0)
    grid.index = [label[k] for k in grid.index]
    st.dataframe(grid, width="stretch", key="dq.grid")
    left, right = st.columns(2)
    check = left.selectbox(t("dq.check"), sorted(set(found["check"])), key="dq.check", format_func=label.get)
    groups = found[found["check"] == check]
    pick = right.selectbox(t("dq.pick"), list(groups[by]), key="dq.group",
                           format_func=lambda v: str(v)[:7] if by == "month" else f"#{v}")
    st.caption(t(f"dq.{check}.help"))
    behind = quality_checks.rows(wh, check, **({"month": pick} if by == "month" else {"load_id": int(pick)}))
    st.dataframe(behind, hide_index=True, width="stretch", placeholder="—", key="dq.rows")
    downloads(behind, f"dq_{check}", "dq.download")

st.subheader(t("imp.mapping"))
path = mapping_path()
text = st.text_area(str(path), path.read_text(encoding="utf-8") if path.exists() else "", height=200,
                    key="import.mapping", placeholder='[tickets.aliases]\ncreated_at = ["进线日期"]')
if st.button(t("imp.save_mapping"), key="import.save_mapping"):
    try:
        save_mapping(text)
        st.success(t("imp.mapping_saved"))
    except LoadError as exc:
        st.error(md(say(exc)))
