"""The pack as an .xlsx: a cover sheet and one sheet per section, the section's tables one under
another with their titles.  Numbers stay numbers (rates with a % format, money with ¥), text is
escaped against formula injection, and the month and scope head every sheet."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from metrics.registry import BY_KEY, Unit
from reports.pack import Pack, Table, meta_value
from metrics.attribution import OTHERS, TOTAL
from reports.render import EFFECTS, actions_table, cell, header, section_title, title, unit_of
import texts
from texts import fmt
from warehouse.safety import excel_writer, spreadsheet_safe

NUMBER_FORMATS = {Unit.PERCENT: "0.0%", Unit.YUAN: "¥#,##0.00", Unit.SECONDS: "0.0", Unit.HOURS: "0.0",
                  Unit.TIMES: "0.00", Unit.DAYS: "0.0", Unit.PER_10K: "0.00", Unit.POINTS: "0.00", Unit.COUNT: "#,##0"}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not fmt.is_empty(v)


def book_formats(book) -> tuple:
    """(bold, title, header, number formats by unit and for changes) of a document workbook."""
    bold = book.add_format({"bold": True})
    big = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    formats = {u: book.add_format({"num_format": f}) for u, f in NUMBER_FORMATS.items()}
    formats["pp"] = book.add_format({"num_format": '+0.0"pp";-0.0"pp"'})
    formats["relative"] = book.add_format({"num_format": "+0.0%;-0.0%"})
    return bold, big, head, formats


def workbook(pack: Pack, *, comments: dict[str, str], actions: pd.DataFrame, lang: str = "zh") -> bytes:
    buf = io.BytesIO()
    month, scope = fmt.month_label(pack.month, lang), pack.scope.label(lang)
    with excel_writer(buf) as xl:
        book = xl.book
        bold, big, head, formats = book_formats(book)
        cover = book.add_worksheet(section_title("cover", lang))
        cover.write(0, 0, texts.text("pack.title", lang), big)
        cover.write_string(1, 0, spreadsheet_safe(f"{month}  {scope}"))
        shown = {k: meta_value(pack, k, lang) for k in pack.meta if k != "texts"}
        for r, (k, v) in enumerate(shown.items(), start=3):
            cover.write(r, 0, spreadsheet_safe(str(k)), bold)
            cover.write(r, 1, spreadsheet_safe("" if v is None else str(v)))
        cover.set_column(0, 0, 18)
        cover.set_column(1, 1, 120)
        for key in pack.keys():
            sheet = book.add_worksheet(section_title(key, lang)[:31])
            sheet.write_string(0, 0, spreadsheet_safe(f"{section_title(key, lang)} · {month} · {scope}"), big)
            row = 1
            if comments.get(key):
                sheet.write(row, 0, spreadsheet_safe(texts.text("pack.comment", lang, note=comments[key])))
                row += 1
            tables = [actions_table(actions)] if key == "actions" else pack.sections.get(key, [])
            for table in tables:
                row = _write_table(sheet, row + 1, table, lang, bold, head, formats)
            sheet.set_column(0, 30, 14)
    data = buf.getvalue()
    return data


def _write_table(sheet, row: int, table: Table, lang: str, bold, head, formats) -> int:
    sheet.write_string(row, 0, spreadsheet_safe(title(table, lang)), bold)
    row += 1
    cols = list(table.frame.columns)
    for j, c in enumerate(cols):
        sheet.write(row, j, header(c, lang), head)
    for _, r in table.frame.iterrows():
        row += 1
        for j, c in enumerate(cols):
            v = r[c]
            if table.kind == "long" and c == "kpi":
                sheet.write_string(row, j, spreadsheet_safe(str(header(v, lang))))
            elif c in ("mom_delta", "yoy_delta") and _is_number(v):
                # rates change in percentage points (written as points, "+1.2pp"); the rest in % of before
                if BY_KEY[r["kpi"]].unit is Unit.PERCENT:
                    sheet.write_number(row, j, float(v) * 100, formats["pp"])
                else:
                    sheet.write_number(row, j, float(v), formats["relative"])
            elif table.kind == "attribution" and c in EFFECTS and _is_number(v):
                # a change: percentage points for rates (as "+1.2pp"), the KPI's own unit else
                pp = unit_of(table, c, r) is Unit.PERCENT
                sheet.write_number(row, j, float(v) * 100 if pp else float(v),
                                   formats["pp"] if pp else formats.get(unit_of(table, c, r)))
            elif table.kind == "attribution" and v in (TOTAL, OTHERS):
                sheet.write_string(row, j, cell(table, c, r, lang))
            elif _is_number(v):
                unit = unit_of(table, c, r)
                sheet.write_number(row, j, float(v), formats.get(unit) if unit else None)
            elif fmt.is_empty(v) or v is None:
                continue
            else:
                sheet.write_string(row, j, str(spreadsheet_safe(str(v))))
    return row + 1


def write_excel(pack: Pack, path: str | Path, **kw) -> Path:
    out = Path(path)
    out.write_bytes(workbook(pack, **kw))
    return out
