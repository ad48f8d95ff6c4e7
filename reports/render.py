"""A pack's tables as people read them: headers in the reader's language, each cell formatted by its
KPI's unit (¥/万, %, 秒, pp), flags and statuses as words.  Shared by the PDF, the Excel file and the
page; the stored pack keeps raw numbers and ids."""
from __future__ import annotations

import pandas as pd

from appraisal.month import flag_labels
from appraisal.publish import PLAN_STATUS
from metrics.registry import BY_KEY, Unit
from metrics.sources import DIMENSIONS
from reports.pack import ACTION_STATUS, SECTIONS, Table
import texts
from texts import fmt
from warehouse.safety import strip_control

WORDS = {  # column → (zh, en)
    "kpi": ("指标", "KPI"), "value": ("本月", "This month"), "target": ("目标", "Target"), "status": ("状态", "Status"),
    "mom_delta": ("环比", "MoM"), "yoy_delta": ("同比", "YoY"), "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"), "rank": ("名次", "Rank"), "agent_id": ("工号", "Agent id"),
    "agent_name": ("姓名", "Name"), "score": ("得分", "Score"), "pay": ("绩效工资", "Pay"), "flags": ("标记", "Flags"),
    "plan": ("整改方案", "Rectification"), "kind": ("文件类型", "Kind"), "files": ("文件数", "Files"),
    "rows_read": ("读取行", "Rows read"), "rows_rejected": ("拒收行", "Rejected"), "rows_skipped": ("跳过行", "Skipped"),
    "orphans": ("孤立回访", "Orphans"), "source": ("数据源", "Source"), "days_loaded": ("有数据天数", "Days loaded"),
    "days_missing": ("缺失天数", "Days missing"), "orphan_callbacks": ("孤立回访", "Orphan callbacks"),
    "title": ("行动项", "Action"), "owner": ("负责人", "Owner"), "due_date": ("截止日期", "Due"),
    "section": ("章节", "Section"), "carried": ("上月遗留", "Carried over"), "action_id": ("编号", "Id"),
    "month": ("月份", "Month"),
}
STATUS_WORDS = {"green": ("达标", "On target"), "amber": ("预警", "Watch"), "red": ("未达标", "Off target"),
                "grey": ("无目标", "No target")}
DIVISION_TITLES = {"presales": ("售前专员排名", "Pre-sales ranking"), "aftersales": ("售后专员排名", "After-sales ranking")}


def header(column: str, lang: str = "zh") -> str:
    i = 0 if lang == "zh" else 1
    if column in BY_KEY:
        return BY_KEY[column].label_in(lang)
    if column in DIMENSIONS:
        return texts.text(f"dim.{column}", lang)
    if column in WORDS:
        return WORDS[column][i]
    if len(column) == 7 and column[4] == "-":          # a month column of the matrix
        return fmt.month_label(column, lang)
    return column


def title(table: Table, lang: str = "zh") -> str:
    if table.kind == "matrix":
        return header(table.title, lang)
    if table.kind == "appraisal":
        return DIVISION_TITLES[table.title][0 if lang == "zh" else 1]
    return table.title


def section_title(key: str, lang: str = "zh") -> str:
    return SECTIONS[key][0 if lang == "zh" else 1]


def unit_of(table: Table, column: str, row: pd.Series | None = None) -> Unit | None:
    """The unit a cell is formatted with, or None for text and plain counts of other tables."""
    if table.kind == "long" and row is not None and column in ("value", "target", "numerator", "denominator"):
        unit = BY_KEY[row["kpi"]].unit
        return unit if column in ("value", "target") else Unit.COUNT
    if table.kind == "matrix" and column != "team":
        return BY_KEY[table.title].unit
    if column in BY_KEY:
        return BY_KEY[column].unit
    if column in ("score",):
        return Unit.POINTS
    if column in ("pay",):
        return Unit.YUAN
    return None


def cell(table: Table, column: str, row: pd.Series, lang: str = "zh") -> str:
    v = row[column]
    i = 0 if lang == "zh" else 1
    if column in ("month",) and isinstance(v, str) and len(v) == 7:
        return fmt.month_label(v, lang)
    if table.kind == "long" and column == "kpi":
        return header(v, lang)
    if column in ("mom_delta", "yoy_delta"):
        flag = row[column.replace("delta", "flag")]
        if flag == "incomplete":
            return "数据不全" if i == 0 else "incomplete"
        return fmt.delta(v, BY_KEY[row["kpi"]].unit) or fmt.EMPTY
    if column == "status":
        return STATUS_WORDS.get(v, (fmt.EMPTY, fmt.EMPTY))[i]
    if column == "flags":
        return flag_labels([f for f in (v or "").split(";") if f], lang) if isinstance(v, str) else ""
    if column == "plan":
        return PLAN_STATUS[v][i] if isinstance(v, str) and v in PLAN_STATUS else ""
    if column == "status_action":
        return ACTION_STATUS.get(v, (v, v))[i]
    if column == "carried":
        return ("是" if v else "") if i == 0 else ("yes" if v else "")
    if column == "rank" and not fmt.is_empty(v):
        return str(int(v))
    unit = unit_of(table, column, row)
    if unit is not None:
        return fmt.value(v, unit, lang)
    if fmt.is_empty(v):
        return fmt.EMPTY
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return str(v)


def shown_columns(table: Table) -> list[str]:
    """Columns a reader needs (the flags columns of the summary and the published marker stay in Excel)."""
    hidden = {"mom_flag", "yoy_flag", "published"}
    return [c for c in table.frame.columns if c not in hidden]


CELL_CHARS = 80        # a table cell of a document; longer text is cut with an ellipsis
LINE_CHARS = 300       # a line of a document (title, scope, meta)
NOTE_CHARS = 4000      # a comment under a section


def shorten(text, limit: int = CELL_CHARS) -> str:
    """Text for a document: control and bidi characters dropped, cut to ``limit`` characters with an
    ellipsis, so no value from the data can overflow a table row or a page."""
    out = strip_control(text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def text_rows(table: Table, lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    cols = shown_columns(table)
    rows = [[shorten(cell(table, c, row, lang)) for c in cols] for _, row in table.frame.iterrows()]
    return [header(c, lang) for c in cols], rows


def actions_table(frame: pd.DataFrame) -> Table:
    cols = ["action_id", "month", "title", "owner", "due_date", "status", "carried"]
    out = frame[cols].copy() if not frame.empty else pd.DataFrame(columns=cols)
    out["month"] = [str(m)[:7] for m in out["month"]]
    out["due_date"] = [str(d)[:10] for d in out["due_date"]]
    out = out.rename(columns={"status": "status_action"})
    return Table("行动项", out, "actions")


WORDS["status_action"] = WORDS["status"]
