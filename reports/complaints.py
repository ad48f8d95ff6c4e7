"""The complaint register's reports (the seed: 每周向公司作一次报告，每月将有关情况通报各部门、区域):

- the **weekly report** (周报) of an ISO week: counts by region × category × class, the 8-week trend,
  each line's weekly complaints with the seed's line rule (4 weeks running, each at least
  ``line_drop_per_week`` below the week before: the line may be replaced), and the open items;
- the **monthly notice** (月度通报) to one department or one region (or the company): the month's
  loop KPIs, the categories by class, and its open items.

Built once from the metric layer (the viewer's scope applied there) and frozen in
``complaint_reports`` like a review pack; ``refresh`` rebuilds.  Written as PDF and Excel with the
pack's writers' table rendering.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import io
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from metrics import Filters, Scope, compute, load_settings
from metrics.complaints import register
from metrics.months import add_months, month_end, month_key, parse_month
from reports.errors import ReportError
from reports.pack import Table, _dump, _load
from reports.excel import _write_table, book_formats
from reports.pdf import _Doc, _table
from reports.render import LINE_CHARS, shorten, title
import texts
from texts import fmt
from warehouse.safety import excel_writer, spreadsheet_safe
from warehouse.schema import complaint_reports

KINDS = ("weekly", "notice")                  # titles: catalog texts creport.<kind>
LEVELS = ("all", "region", "department")      # a notice's addressee
CLASS_KPIS = ("complaint_items", "complaints", "opinions", "suggestions")
CLASS_OF = {"complaints": "complaint", "opinions": "opinion", "suggestions": "suggestion"}
NOTICE_KPIS = ("complaint_items", "complaints", "complaint_valid_rate", "complaint_resolved_rate",
               "complaint_on_time_rate", "complaint_result_hours", "complaint_callback_rate",
               "complaint_satisfaction_rate", "installer_complaints")
TREND_WEEKS = 8
LINE_WEEKS = 4                                 # the seed: 连续4周
OPEN_COLUMNS = ("complaint_id", "received_at", "complaint_class", "category", "region", "store", "department",
                "next_stage", "due_at", "overdue_hours")
SECTIONS = {"weekly": ("counts", "trend", "lines", "open"), "notice": ("summary", "categories", "open")}


@dataclass
class ComplaintReport:
    kind: str
    period: str                                # 2026-W45 | 2026-10
    level: str = "all"
    value: str | None = None
    meta: dict = field(default_factory=dict)
    sections: dict[str, list[Table]] = field(default_factory=dict)
    report_id: int | None = None

    def label(self, lang: str = texts.DEFAULT) -> str:
        title = texts.text(f"creport.{self.kind}", lang)
        who = texts.text("level.all", lang) if self.level == "all" else texts.text(
            "level.named", lang, level=texts.text(f"creport.level.{self.level}", lang), value=self.value)
        when = self.period if self.kind == "weekly" else fmt.month_label(self.period, lang)
        return f"{title} · {when} · {who}"


def parse_week(text: str) -> date:
    """``2026-W45`` → the Monday of that ISO week."""
    try:
        year, week = str(text).strip().upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, TypeError):
        raise ReportError("creport.bad_week", week=str(text)) from None


def week_key(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _months(first: date, last: date) -> list[date]:
    out = [first.replace(day=1)]
    while out[-1] < last.replace(day=1):
        out.append(add_months(out[-1], 1))
    return out


def _class_counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*by, *CLASS_KPIS])
    f = frame.assign(**{k: (frame["complaint_class"] == c).astype(int) for k, c in CLASS_OF.items()},
                     complaint_items=1)
    for col in by:
        f[col] = f[col].fillna("—") if f[col].dtype != object else f[col].where(f[col].notna(), "—")
    return f.groupby(by, as_index=False)[list(CLASS_KPIS)].sum().sort_values(by, kind="stable")


def _open(frame: pd.DataFrame, until: datetime) -> pd.DataFrame:
    rows = frame[frame["next_stage"].notna() & (pd.to_datetime(frame["received_at"]) < until)]
    rows = rows.sort_values(["overdue", "due_at"], ascending=[False, True], kind="stable")
    out = rows[list(OPEN_COLUMNS)].copy()
    for col in ("received_at", "due_at"):
        out[col] = [None if pd.isna(v) else str(v)[:16] for v in out[col]]
    out["overdue_hours"] = [None if pd.isna(v) else round(float(v), 1) for v in out["overdue_hours"]]
    return out.reset_index(drop=True)


def line_rule(weekly: pd.DataFrame, drop: int) -> bool:
    """The seed's rule on one line's weekly complaints (oldest first, ``LINE_WEEKS`` + 1 weeks): each of
    the last 4 weeks at least ``drop`` below the week before."""
    v = list(weekly)
    return len(v) >= LINE_WEEKS + 1 and all(v[i - 1] - v[i] >= drop for i in range(len(v) - LINE_WEEKS, len(v)))


def build_weekly(wh, week: str, *, viewer: Scope) -> ComplaintReport:
    monday = parse_week(week)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time())
    start = datetime.combine(monday - timedelta(weeks=TREND_WEEKS - 1), datetime.min.time())
    settings = load_settings(wh)
    frame = register(wh, months=_months(start.date(), (end - timedelta(days=1)).date()), scope=viewer,
                     settings=settings, now=end)
    received = pd.to_datetime(frame["received_at"])
    frame = frame[(received >= start) & (received < end)].copy()
    frame["week"] = [week_key(d.date()) for d in pd.to_datetime(frame["received_at"])]
    this = frame[frame["week"] == week_key(monday)]
    weeks = [week_key(monday - timedelta(weeks=k)) for k in range(TREND_WEEKS - 1, -1, -1)]
    trend = _class_counts(frame, ["week"]).set_index("week").reindex(weeks, fill_value=0).reset_index()
    complaints = frame[frame["complaint_class"] == "complaint"].assign(
        line=lambda f: f["line"].where(f["line"].notna(), f["channel"].map(
            lambda c: texts.text(f"value.{c}") if isinstance(c, str) and texts.has(f"value.{c}") else "—")))
    recent = weeks[-(LINE_WEEKS + 1):]
    lines = (complaints[complaints["week"].isin(recent)].pivot_table(index="line", columns="week", values="complaint_id",
                                                                     aggfunc="count", fill_value=0)
             .reindex(columns=recent, fill_value=0))
    lines.columns.name = None
    lines = lines.reset_index()
    lines["line_rule"] = [line_rule(r[recent], settings.line_drop_per_week) for _, r in lines.iterrows()]
    sections = {
        "counts": [Table("creport.t.counts", _class_counts(this, ["region", "category"]))],
        "trend": [Table("creport.t.trend", trend)],
        "lines": [Table("creport.t.lines", lines)],
        "open": [Table("creport.t.open", _open(frame, end))],
    }
    meta = {"period": week_key(monday), "from": str(monday), "to": str(monday + timedelta(days=6)),
            "viewer": viewer.describe(), "line_drop_per_week": settings.line_drop_per_week,
            "data_version": wh.data_version(), "built_at": datetime.now().replace(microsecond=0).isoformat(sep=" ")}
    return ComplaintReport("weekly", week_key(monday), meta=meta, sections=sections)


def build_notice(wh, month: str | date, level: str, value: str | None, *, viewer: Scope) -> ComplaintReport:
    if level not in LEVELS or (level == "all") != (value is None):
        raise ReportError("creport.bad_level", level=str(level))
    m = parse_month(month)
    settings = load_settings(wh)
    flt = Filters.of(region=[value]) if level == "region" else Filters()
    until = min(datetime.now(), month_end(m))
    frame = register(wh, months=[m], scope=viewer, filters=flt, settings=settings, now=until)
    dims = ("department",) if level == "department" else ()
    figures = compute(wh, list(NOTICE_KPIS), months=[m], dims=dims, scope=viewer, filters=flt, settings=settings)
    if level == "department":
        figures = figures[figures["department"] == value]
        frame = frame[frame["department"] == value]
    summary = (figures.set_index("kpi").reindex(list(NOTICE_KPIS))[["value", "numerator", "denominator"]]
               .reset_index())
    sections = {
        "summary": [Table("creport.t.summary", summary, "long")],
        "categories": [Table("creport.t.categories", _class_counts(frame, ["category"]))],
        "open": [Table("creport.t.open", _open(frame, until))],
    }
    meta = {"period": month_key(m), "viewer": viewer.describe(), "data_version": wh.data_version(),
            "built_at": datetime.now().replace(microsecond=0).isoformat(sep=" ")}
    return ComplaintReport("notice", month_key(m), level, value, meta, sections)


# ------------------------------------------------------------------ frozen
def _where(kind: str, period: str, level: str, value: str | None, viewer: Scope):
    c = complaint_reports.c
    return ((c.kind == kind) & (c.period == period) & (c.level == level) & (c.viewer_scope == viewer.key())
            & (c.value.is_(None) if value is None else c.value == value))


def create(wh, kind: str, period: str, *, level: str = "all", value: str | None = None, viewer: Scope, by: str,
           refresh: bool = False) -> ComplaintReport:
    """The stored report; built and frozen now if there is none (or ``refresh``)."""
    if kind not in KINDS:
        raise ReportError("creport.bad_kind", kind=str(kind))
    period = week_key(parse_week(period)) if kind == "weekly" else month_key(parse_month(period))
    where = _where(kind, period, level, value, viewer)
    with wh.connect() as conn:
        found = conn.execute(sa.select(complaint_reports.c.report_id).where(where)).scalar()
    if found is None or refresh:
        report = (build_weekly(wh, period, viewer=viewer) if kind == "weekly"
                  else build_notice(wh, period, level, value, viewer=viewer))
        now = datetime.now().replace(microsecond=0)
        with wh.begin() as conn:
            if found is None:
                rid = int(conn.execute(sa.text("SELECT COALESCE(MAX(report_id), 0) + 1 FROM complaint_reports")).scalar())
                conn.execute(complaint_reports.insert().values(
                    report_id=rid, kind=kind, period=period, level=level, value=value, viewer_scope=viewer.key(),
                    content=_dump(report), created_by=by, created_at=now))
            else:
                conn.execute(complaint_reports.update().where(complaint_reports.c.report_id == found).values(
                    content=_dump(report), refreshed_at=now))
    with wh.connect() as conn:
        row = conn.execute(sa.select(complaint_reports).where(where)).mappings().one()
    meta, sections = _load(row["content"])
    meta = {**meta, "created_by": row["created_by"], "created_at": str(row["created_at"]),
            "refreshed_at": str(row["refreshed_at"]) if row["refreshed_at"] else None}
    return ComplaintReport(kind, period, level, value, meta, sections, row["report_id"])


# ------------------------------------------------------------------ documents
def _meta_lines(report: ComplaintReport, lang: str) -> list[str]:
    m = report.meta
    return [texts.text("creport.meta.built", lang, by=m.get("created_by", ""), at=m.get("created_at", ""),
                       refreshed=m.get("refreshed_at") or "—", version=m.get("data_version")),
            texts.text("creport.meta.viewer", lang, viewer=m.get("viewer", ""))]


def write_pdf(report: ComplaintReport, path: str | Path, lang: str = texts.DEFAULT) -> Path:
    out = Path(path)
    out.write_bytes(pdf_bytes(report, lang))
    return out


def pdf_bytes(report: ComplaintReport, lang: str = texts.DEFAULT) -> bytes:
    label = shorten(report.label(lang), LINE_CHARS)
    pdf = _Doc(label, lang)
    pdf.add_page()
    pdf.set_font("cjk", "B", size=18)
    pdf.multi_cell(0, 10, label, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    for line in _meta_lines(report, lang):
        pdf.multi_cell(0, 5.5, shorten(line, LINE_CHARS), new_x="LMARGIN", new_y="NEXT")
    for key in SECTIONS[report.kind]:
        for table in report.sections.get(key, []):
            _table(pdf, table, lang)
    return bytes(pdf.output())


def workbook(report: ComplaintReport, lang: str = texts.DEFAULT) -> bytes:
    buf = io.BytesIO()
    with excel_writer(buf) as xl:
        book = xl.book
        bold, big, head, formats = book_formats(book)
        cover = book.add_worksheet(texts.text(f"creport.{report.kind}", lang)[:31])
        cover.write_string(0, 0, spreadsheet_safe(report.label(lang)), big)
        for r, line in enumerate(_meta_lines(report, lang), start=2):
            cover.write_string(r, 0, spreadsheet_safe(line))
        for key in SECTIONS[report.kind]:
            for table in report.sections.get(key, []):
                sheet = book.add_worksheet(title(table, lang)[:31])
                _write_table(sheet, 0, table, lang, bold, head, formats)
                sheet.set_column(0, 30, 14)
    return buf.getvalue()


def write_excel(report: ComplaintReport, path: str | Path, lang: str = texts.DEFAULT) -> Path:
    out = Path(path)
    out.write_bytes(workbook(report, lang))
    return out
