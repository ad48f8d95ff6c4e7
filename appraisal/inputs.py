"""The supervisors' monthly inputs (``scorecard_inputs``): the Excel template, in-app edits with an
audit row per changed cell, and the calls excused from A1.

The template's headers are the loader's first Chinese alias of each column, so a filled template
loads through ``loaders`` (``python -m loaders load scorecard_inputs 文件.xlsx`` or the import page)
with the same checks as any export: unknown agent or out-of-range value → that row rejected with
the reason.  In-app edits run the same checks before anything is written.
"""
from __future__ import annotations

from datetime import date, datetime
import io
import math
from typing import Iterable

import pandas as pd
import sqlalchemy as sa

from appraisal.errors import AppraisalError
from appraisal.month import agents
from metrics.months import month_key, parse_month
from metrics.scope import Scope
import texts
from texts import Message
from warehouse.kinds import SCORECARD_INPUTS, Kind
from warehouse.safety import excel_writer, safe_frame
from warehouse.schema import TABLES, appraisal_excusals, scorecard_input_audit

scorecard_inputs = TABLES["scorecard_inputs"]   # built from its kind (warehouse/kinds.py)

EDITABLE = [c for c in SCORECARD_INPUTS.columns if c.name not in ("month", "agent_id")]
HEADERS = {c.name: c.aliases[0] for c in SCORECARD_INPUTS.columns}


def current(wh, month: str | date, division: str | None = None, scope: Scope = Scope.all()) -> pd.DataFrame:
    """One row per formal agent of the division (both when None) within ``scope``, with the month's
    inputs so far."""
    m = parse_month(month)
    people = pd.concat([agents(wh, m, d) for d in ((division,) if division else ("presales", "aftersales"))])
    people = people[scope.mask(people)]
    with wh.connect() as conn:
        given = pd.read_sql(sa.text("SELECT * FROM scorecard_inputs WHERE month = :m"), conn, params={"m": m})
    given = given.drop(columns=["month", "load_id", "line_no"]).set_index("agent_id")
    out = people[["agent_id", "agent_name", "team"]].set_index("agent_id").join(given, how="left")
    return out.reset_index()[["agent_id", "agent_name", "team", *(c.name for c in EDITABLE)]]


def template(wh, month: str | date, division: str | None = None, lang: str = texts.DEFAULT) -> bytes:
    """An .xlsx to fill: the month and every formal agent pre-filled (with any inputs already entered).
    Its column headers are the loader's (Chinese) headers in every language: the file is loaded back."""
    m = parse_month(month)
    frame = current(wh, m, division)
    out = pd.DataFrame({HEADERS["month"]: month_key(m), HEADERS["agent_id"]: frame["agent_id"],
                        "姓名": frame["agent_name"], "班组": frame["team"]})
    for c in EDITABLE:
        out[HEADERS[c.name]] = frame[c.name]
    buf = io.BytesIO()
    with excel_writer(buf) as xl:
        inputs_sheet, notes_sheet = texts.text("ap.tpl.sheet", lang), texts.text("ap.tpl.notes", lang)
        safe_frame(out).to_excel(xl, index=False, sheet_name=inputs_sheet)
        sheet = xl.sheets[inputs_sheet]
        sheet.freeze_panes(1, 4)
        sheet.set_column(0, len(out.columns) - 1, 12)
        notes = pd.DataFrame({texts.text("ap.tpl.column", lang): list(HEADERS.values()),
                              texts.text("ap.tpl.meaning", lang): [_explain(c, lang) for c in SCORECARD_INPUTS.columns]})
        notes.to_excel(xl, index=False, sheet_name=notes_sheet)
    return buf.getvalue()


def _explain(column, lang: str = texts.DEFAULT) -> str:
    if column.name in ("month", "agent_id", "red_line"):
        return texts.text(f"ap.tpl.{column.name}", lang)
    if column.kind is Kind.vocab:
        return texts.text("ap.tpl.grade", lang)
    if column.kind is Kind.int:
        return texts.text("ap.tpl.count", lang)
    if column.kind is Kind.number:
        return texts.text("ap.tpl.upto", lang, top=f"{column.max_value:g}") if column.max_value else \
            texts.text("ap.tpl.nonnegative", lang)
    return texts.text("ap.tpl.text", lang)


def _check(column, value) -> tuple[object, Message | None]:
    """The stored value of one cell and the problem, if any."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return None, None
    label = HEADERS[column.name]
    if column.kind is Kind.vocab:
        grade = str(value).strip().upper()
        return (grade, None) if grade in ("A", "B", "C", "D", "E") else (None, Message("appraisal.grade", label=label, value=value))
    if column.kind in (Kind.int, Kind.number):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, Message("appraisal.not_number", label=label, value=value)
        if number < 0 or (column.max_value is not None and number > column.max_value):
            top = f"{column.max_value:g}" if column.max_value is not None else "∞"
            return None, Message("appraisal.out_of_range", label=label, value=f"{number:g}", top=top)
        if column.kind is Kind.int:
            if number != int(number):
                return None, Message("appraisal.whole", label=label, value=f"{number:g}")
            return int(number), None
        return number, None
    return str(value).strip(), None


def save_edits(wh, month: str | date, edited: pd.DataFrame, *, by: str, scope: Scope = Scope.all()) -> int:
    """Write the edited rows (columns as ``current``); one audit row per changed cell.  Every problem
    is reported at once and nothing is written when there is one; an agent outside ``scope`` (the
    editor's) is a problem.  Returns the cells changed."""
    m = parse_month(month)
    before = current(wh, m).set_index("agent_id")
    known = set(before.index)
    mine = set(current(wh, m, scope=scope)["agent_id"])
    problems, changes = [], []
    for _, row in edited.iterrows():
        agent = str(row["agent_id"])
        if agent in known and agent not in mine:
            problems.append(Message("appraisal.out_of_scope", agent=agent))
            continue
        if agent not in known:
            problems.append(Message("appraisal.not_in_roster", agent=agent, month=month_key(m)))
            continue
        for column in EDITABLE:
            value, problem = _check(column, row.get(column.name))
            if problem:
                problems.append(Message("appraisal.agent_problem", agent=agent, problem=problem))
                continue
            old, _ = _check(column, before.at[agent, column.name])
            if old != value:
                changes.append((agent, column.name, old, value))
    if problems:
        raise AppraisalError("appraisal.inputs_bad", problems=problems)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        for agent in dict.fromkeys(a for a, *_ in changes):
            exists = conn.execute(sa.select(sa.func.count()).select_from(scorecard_inputs).where(
                (scorecard_inputs.c.month == m) & (scorecard_inputs.c.agent_id == agent))).scalar()
            if not exists:
                conn.execute(scorecard_inputs.insert().values(month=m, agent_id=agent))
        for agent, column, old, value in changes:
            conn.execute(scorecard_inputs.update().where(
                (scorecard_inputs.c.month == m) & (scorecard_inputs.c.agent_id == agent)).values({column: value}))
            conn.execute(scorecard_input_audit.insert().values(
                month=m, agent_id=agent, column_name=column, old_value=None if old is None else str(old),
                new_value=None if value is None else str(value), changed_by=by, changed_at=now))
    return len(changes)


def audit(wh, month: str | date | None = None) -> pd.DataFrame:
    where, params = ("WHERE month = :m", {"m": parse_month(month)}) if month else ("", {})
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            f"SELECT month, agent_id, column_name, old_value, new_value, changed_by, changed_at "
            f"FROM scorecard_input_audit {where} ORDER BY changed_at DESC, agent_id"), conn, params=params)


def excuse(wh, ticket_ids: Iterable[str], reason: str, *, by: str) -> int:
    """Excuse calls from A1 (e.g. a system outage); returns how many were newly excused."""
    if not reason or not reason.strip():
        raise AppraisalError("appraisal.excusal_reason")
    ids = [str(t).strip() for t in ticket_ids if str(t).strip()]
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        have = {r[0] for r in conn.execute(sa.select(appraisal_excusals.c.ticket_id).where(
            appraisal_excusals.c.ticket_id.in_(ids or [""]))).fetchall()}
        new = [t for t in dict.fromkeys(ids) if t not in have]
        if new:
            conn.execute(appraisal_excusals.insert(), [dict(ticket_id=t, reason=reason.strip(), excused_by=by,
                                                             excused_at=now) for t in new])
    return len(new)


def excusals(wh) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            "SELECT ticket_id, reason, excused_by, excused_at FROM appraisal_excusals ORDER BY excused_at DESC"), conn)
