"""数据概况: what is in the warehouse and the load log (until the dashboard pages land)."""
import streamlit as st

from ui import data

wh = data.warehouse()
version = wh.data_version()
st.title("数据概况")
if version == 0:
    st.info("仓库还是空的。请用命令行导入导出文件：`python -m loaders load tickets 文件.csv`，"
            "或运行 `make run` 导入演示数据。")
    st.stop()
counts = data.table_counts(wh.url, version)
cols = st.columns(len(counts))
for col, row in zip(cols, counts.itertuples()):
    col.metric(row.label, f"{row.rows:,}")
st.subheader("导入日志")
log = data.load_log(wh.url, version)
st.dataframe(
    log.rename(columns={"load_id": "批次", "loaded_at": "导入时间", "loaded_by": "导入人", "kind": "类型",
                        "file_name": "文件", "status": "状态", "encoding": "编码", "rows_read": "读取",
                        "rows_inserted": "新增", "rows_replaced": "替换", "rows_rejected": "拒收",
                        "rows_skipped": "跳过", "orphans": "孤立回访", "duration_seconds": "耗时(秒)"}),
    hide_index=True, width="stretch")
