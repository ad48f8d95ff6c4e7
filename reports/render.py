"""A pack's tables as people read them: headers in the reader's language, each cell formatted by its
KPI's unit (¥/万, %, 秒, pp), flags and statuses as words.  Shared by the PDF, the Excel file and the
page; the stored pack keeps raw numbers and ids."""
from __future__ import annotations

import pandas as pd

from appraisal.month import flag_labels
from appraisal.publish import PLAN_STATUS
from loaders.status import table_label
from metrics.attribution import OTHERS, TOTAL, signed
from metrics.registry import BY_KEY, Unit
from metrics.sources import DIMENSIONS
from metrics.targets import STATUSES
from reports.pack import ACTION_STATUS, Table
import texts
from texts import fmt
from warehouse.safety import strip_control

# columns a document names (their words: catalog texts col.<column>)
WORDS = ("kpi", "value", "target", "status", "mom_delta", "yoy_delta", "numerator", "denominator", "rank",
         "agent_id", "agent_name", "score", "pay", "flags", "plan", "kind", "files", "rows_read", "rows_rejected",
         "rows_skipped", "orphans", "source", "days_loaded", "days_missing", "orphan_callbacks", "title", "owner",
         "due_date", "section", "carried", "action_id", "month", "value_before", "value_after", "n_before", "n_after", "rate_effect", "mix_effect",
         "contribution", "week", "line", "line_rule", "complaint_id", "received_at", "complaint_class", "next_stage",
         "due_at", "overdue_hours")
EFFECTS = ("rate_effect", "mix_effect", "contribution")   # an attribution table's changes (signed)
DIVISION_TITLES = ("presales", "aftersales",)   # words: catalog texts ranking.<key>


def header(column: str, lang: str = "zh") -> str:
    if column in BY_KEY:
        return BY_KEY[column].label_in(lang)
    if column in DIMENSIONS:
        return texts.text(f"dim.{column}", lang)
    column = "status" if column == "status_action" else column   # an action's status is a status
    if column in WORDS:
        return texts.text(f"col.{column}", lang)
    if len(column) == 7 and column[4] == "-":          # a month column of the matrix
        return fmt.month_label(column, lang)
    return column


def title(table: Table, lang: str = "zh") -> str:
    if table.kind == "matrix":
        return header(table.title, lang)
    if table.kind == "appraisal":
        return texts.text(f"ranking.{table.title}", lang)
    if table.kind == "attribution":
        return texts.text("pack.t.why", lang, kpi=header(table.title, lang))
    # a catalog id; a pack frozen before the catalog stored its (Chinese) title itself
    return texts.text(table.title, lang) if texts.has(table.title) else table.title


def section_title(key: str, lang: str = "zh") -> str:
    return texts.text(f"pack.{key}", lang)


def unit_of(table: Table, column: str, row: pd.Series | None = None) -> Unit | None:
    """The unit a cell is formatted with, or None for text and plain counts of other tables."""
    if table.kind == "long" and row is not None and column in ("value", "target", "numerator", "denominator"):
        unit = BY_KEY[row["kpi"]].unit
        return unit if column in ("value", "target") else Unit.COUNT
    if table.kind == "matrix" and column != "team":
        return BY_KEY[table.title].unit
    if table.kind == "attribution" and column in ("value_before", "value_after", *EFFECTS):
        return BY_KEY[table.title].unit
    if table.kind == "attribution" and column in ("n_before", "n_after"):
        return Unit.COUNT
    if column in BY_KEY:
        return BY_KEY[column].unit
    if column in ("score",):
        return Unit.POINTS
    if column in ("pay",):
        return Unit.YUAN
    if column in ("overdue_hours",):
        return Unit.HOURS
    return None


def cell(table: Table, column: str, row: pd.Series, lang: str = "zh") -> str:
    v = row[column]
    if column in ("month",) and isinstance(v, str) and len(v) == 7:
        return fmt.month_label(v, lang)
    if table.kind == "long" and column == "kpi":
        return header(v, lang)
    if table.kind == "attribution" and column in EFFECTS and not fmt.is_empty(v):
        return signed(v, unit_of(table, column, row), lang)     # pp for rates, the unit with its sign else
    if table.kind == "attribution" and v in (TOTAL, OTHERS):
        return texts.text("explain.total" if v == TOTAL else "explain.others", lang)
    if column in ("mom_delta", "yoy_delta"):
        flag = row[column.replace("delta", "flag")]
        if flag == "incomplete":
            return texts.text("incomplete", lang)
        return fmt.delta(v, BY_KEY[row["kpi"]].unit) or fmt.EMPTY
    if column in ("kind", "source") and isinstance(v, str):   # a kind's code; a pack frozen before: its label
        return table_label(v, lang)
    if column == "status":
        # the words of the cards: one status vocabulary for the page and the pack
        return texts.text(f"status.{v}", lang) if v in STATUSES else fmt.EMPTY
    if column == "flags":
        return flag_labels([f for f in (v or "").split(";") if f], lang) if isinstance(v, str) else ""
    if column == "plan":
        return texts.text(f"plan.{v}", lang) if isinstance(v, str) and v in PLAN_STATUS else ""
    if column == "status_action":
        return texts.text(f"action.{v}", lang) if v in ACTION_STATUS else str(v)
    if column == "complaint_class" and isinstance(v, str):
        return texts.text(f"value.{v}", lang) if texts.has(f"value.{v}") else v
    if column == "next_stage" and isinstance(v, str):
        return texts.text(f"complaint.stage.{v}", lang) if texts.has(f"complaint.stage.{v}") else v
    if column == "line_rule":
        return texts.text("setting.yes", lang) if v is True else ""
    if column == "carried":
        return texts.text("setting.yes", lang) if v else ""
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
    return Table("pack.t.actions", out, "actions")

