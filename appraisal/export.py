"""A division's month to Excel: the ranking on a summary sheet and one sheet per agent laid out like
the paper form (item, rule, count, points, weight, weighted score, total, pay).  Numbers stay numbers;
text cells are escaped against formula injection."""
from __future__ import annotations

import io

import pandas as pd

from appraisal.month import Month, flag_labels
from appraisal.rules import DISCIPLINE_ITEMS, PRESALES_ITEMS
from appraisal.scorecard import AFTERSALES_ITEMS, line_text
from metrics.months import month_key
import texts
from warehouse.safety import excel_writer, safe_frame, sheet_name, spreadsheet_safe

ITEMS = frozenset((*PRESALES_ITEMS, *DISCIPLINE_ITEMS, *AFTERSALES_ITEMS))
CARD_COLUMNS = ("section", "item", "label", "rule", "count", "points", "weight", "weighted")   # card.col.<column>


def header(column: str, lang: str = texts.DEFAULT) -> str:
    """An appraisal column's header: an item is its code and label (``A1 响铃3声内未接听``), the others
    catalog texts ``apcol.<column>``; an unknown column as it is."""
    if column in ITEMS:
        return f"{column} {texts.text(f'item.{column}', lang)}"
    return texts.text(f"apcol.{column}", lang) if texts.has(f"apcol.{column}") else column


def section_name(section: str, lang: str = texts.DEFAULT) -> str:
    return texts.text(f"apsec.{section}", lang) if texts.has(f"apsec.{section}") else section



def summary_frame(month: Month, lang: str = texts.DEFAULT) -> pd.DataFrame:
    frame = month.frame.drop(columns=["last"], errors="ignore").copy()
    frame["flags"] = frame["flags"].map(lambda f: flag_labels(f, lang))
    cols = ["rank", *[c for c in frame.columns if c != "rank"]]
    frame = frame[cols].rename(columns={c: header(c, lang) for c in cols})
    return safe_frame(frame)


def workbook(month: Month, lang: str = texts.DEFAULT) -> bytes:
    """The month's .xlsx: 汇总 + one sheet per agent."""
    say = lambda text_id, **kw: texts.text(text_id, lang, **kw)  # noqa: E731
    label = say("ap.xlsx.title", month=month_key(month.month), division=say(f"value.{month.division}"))
    status = (say("ap.xlsx.published", by=month.published["by"], at=month.published["at"],
                  version=month.published["rules_version"])
              if month.published else say("ap.xlsx.live", version=month.rules_version))
    summary_sheet = say("ap.xlsx.summary")
    buf = io.BytesIO()
    with excel_writer(buf) as xl:
        book = xl.book
        bold = book.add_format({"bold": True})
        red = book.add_format({"bold": True, "font_color": "#C0392B"})
        summary = summary_frame(month, lang)
        summary.to_excel(xl, index=False, sheet_name=summary_sheet, startrow=2)
        sheet = xl.sheets[summary_sheet]
        sheet.write(0, 0, label, bold)
        sheet.write(1, 0, spreadsheet_safe(status))
        sheet.freeze_panes(3, 3)
        sheet.set_column(0, len(summary.columns) - 1, 11)
        used = {summary_sheet}
        for row in month.frame.to_dict("records"):
            card = month.cards[row["agent_id"]]
            ws = book.add_worksheet(sheet_name(f"{row['agent_id']} {row['agent_name'] or ''}", used))
            ws.write(0, 0, label, bold)
            ws.write(1, 0, say("ap.xlsx.appraised"))
            ws.write(1, 1, spreadsheet_safe(f"{row['agent_name'] or ''}（{row['agent_id']}）"))
            ws.write(1, 2, header("team", lang))
            ws.write(1, 3, spreadsheet_safe(row["team"] or ""))
            ws.write(2, 0, spreadsheet_safe(status))
            headers = [say(f"card.col.{c}") for c in CARD_COLUMNS]
            for j, h in enumerate(headers):
                ws.write(4, j, h, bold)
            r = 5
            for line in card["lines"]:
                values = [section_name(line["section"], lang), line["item"], line_text(line, "label", lang),
                          line_text(line, "rule", lang), line["count"], line["points"], line["weight"], line["weighted"]]
                for j, v in enumerate(values):
                    if v is not None:
                        ws.write(r, j, spreadsheet_safe(v) if isinstance(v, str) else v)
                r += 1
            r += 1
            for key in ("total", "composite", "pay", "rank"):
                if key == "composite" and month.division == "presales":
                    continue
                ws.write(r, 0, header(key, lang), bold)
                ws.write(r, 1, row[key])
                r += 1
            flags = flag_labels(row["flags"], lang)
            if flags:
                ws.write(r, 0, header("flags", lang), bold)
                ws.write(r, 1, flags, red)
            ws.set_column(0, 0, 16)
            ws.set_column(2, 3, 30)
            ws.set_column(4, 7, 10)
    return buf.getvalue()
