"""数据导入: upload exports (kind detected from the headers, or chosen), progress, the load report,
the load log, rejected rows to download, the mapping file editor."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from loaders import LoadError, status
from loaders.pipeline import current_user
from loaders.schema import SCHEMAS
from ui import data
from ui.imports import kind_label, load_upload, mapping_path, save_mapping
from ui.i18n import t
from ui.widgets import downloads, page_title

page_title("page.import")
wh = data.warehouse()
with st.form("import.form", clear_on_submit=True):
    files = st.file_uploader("导出文件（CSV / Excel，可多选）", accept_multiple_files=True, key="import.files",
                             type=["csv", "txt", "xlsx", "xlsm"])
    kind = st.selectbox("文件类型", [None, *SCHEMAS], key="import.kind",
                        format_func=lambda k: "自动识别（按表头）" if k is None else kind_label(k))
    strict = st.checkbox("严格模式：有任何坏行就整份文件不导入", key="import.strict")
    submitted = st.form_submit_button("导入", type="primary")
if submitted:
    for upload in files or []:
        try:
            chosen, report = load_upload(wh, upload, kind, strict, current_user())
        except LoadError as exc:
            st.error(f"{upload.name}：{exc}")
            continue
        (st.warning if report.rows_rejected else st.success)(report.summary())

version = data.version()
counts = data.table_counts(wh.url, version)
for col, row in zip(st.columns(len(counts)), counts.itertuples()):
    col.metric(row.label, f"{row.rows:,}")
st.subheader("导入日志")
st.dataframe(data.load_log(wh.url, version).drop(columns="sha256"), hide_index=True, width="stretch")

st.subheader("拒收的行")
rejects = status.rejects(wh, limit=20_000)
st.dataframe(rejects.head(500), hide_index=True, width="stretch")
if len(rejects):
    downloads(rejects, "rejects", "import.rejects")

st.subheader("映射文件（额外表头别名与取值）")
path = mapping_path()
text = st.text_area(str(path), path.read_text(encoding="utf-8") if path.exists() else "", height=200,
                    key="import.mapping", placeholder='[tickets.aliases]\ncreated_at = ["进线日期"]')
if st.button("保存映射文件", key="import.save_mapping"):
    try:
        save_mapping(text)
        st.success("映射文件已保存，下次导入生效。")
    except LoadError as exc:
        st.error(str(exc))
