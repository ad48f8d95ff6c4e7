"""A division's month to Excel: the ranking on a summary sheet and one sheet per agent laid out like
the paper form (item, rule, count, points, weight, weighted score, total, pay).  Numbers stay numbers;
text cells are escaped against formula injection."""
from __future__ import annotations

import io

import pandas as pd

from appraisal.month import DIVISIONS, Month, flag_labels
from appraisal.rules import DISCIPLINE_ITEMS, PRESALES_ITEMS
from appraisal.scorecard import AFTERSALES_ITEMS
from metrics.months import month_key
from warehouse.safety import excel_writer, safe_frame, sheet_name, spreadsheet_safe

SUMMARY_HEADERS = {
    "rank": "名次", "agent_id": "工号", "agent_name": "姓名", "team": "班组", "region": "区域", "store": "门店",
    **{k: f"{k} {v}" for k, v in PRESALES_ITEMS.items()}, "qa": "监听扣分合计", "business": "业务考核",
    **{k: f"{k} {v}" for k, v in DISCIPLINE_ITEMS.items()}, "b_total": "纪律扣分合计", "discipline": "工作纪律",
    "exam": "笔试", **{k: f"{k} {v}" for k, v in AFTERSALES_ITEMS.items()}, "bonus": "建议加分",
    "penalty": "投诉扣分", "total": "总分", "composite": "综合得分", "pay": "绩效工资（元）", "flags": "标记",
}
SECTION = {"A": "业务考核（表A）", "B": "工作纪律（表B）", "T": "汇总", "S": "考核项目", "X": "加减分"}



def summary_frame(month: Month) -> pd.DataFrame:
    frame = month.frame.drop(columns=["last"], errors="ignore").copy()
    frame["flags"] = frame["flags"].map(flag_labels)
    cols = ["rank", *[c for c in frame.columns if c != "rank"]]
    frame = frame[cols].rename(columns=SUMMARY_HEADERS)
    return safe_frame(frame)


def workbook(month: Month) -> bytes:
    """The month's .xlsx: 汇总 + one sheet per agent."""
    label = f"{month_key(month.month)} {DIVISIONS[month.division][0]}专员绩效考核"
    status = (f"已发布：{month.published['by']} {month.published['at']}，规则版本 {month.published['rules_version']}"
              if month.published else f"未发布（实时计算），规则版本 {month.rules_version}")
    buf = io.BytesIO()
    with excel_writer(buf) as xl:
        book = xl.book
        bold = book.add_format({"bold": True})
        red = book.add_format({"bold": True, "font_color": "#C0392B"})
        summary = summary_frame(month)
        summary.to_excel(xl, index=False, sheet_name="汇总", startrow=2)
        sheet = xl.sheets["汇总"]
        sheet.write(0, 0, label, bold)
        sheet.write(1, 0, spreadsheet_safe(status))
        sheet.freeze_panes(3, 3)
        sheet.set_column(0, len(summary.columns) - 1, 11)
        used = {"汇总"}
        for row in month.frame.to_dict("records"):
            card = month.cards[row["agent_id"]]
            ws = book.add_worksheet(sheet_name(f"{row['agent_id']} {row['agent_name'] or ''}", used))
            ws.write(0, 0, label, bold)
            ws.write(1, 0, "被考核人")
            ws.write(1, 1, spreadsheet_safe(f"{row['agent_name'] or ''}（{row['agent_id']}）"))
            ws.write(1, 2, "班组")
            ws.write(1, 3, spreadsheet_safe(row["team"] or ""))
            ws.write(2, 0, spreadsheet_safe(status))
            headers = ["部分", "项目", "内容", "标准", "次数", "扣分/得分", "权重", "加权得分"]
            for j, h in enumerate(headers):
                ws.write(4, j, h, bold)
            r = 5
            for line in card["lines"]:
                values = [SECTION.get(line["section"], line["section"]), line["item"], line["label"], line["rule"],
                          line["count"], line["points"], line["weight"], line["weighted"]]
                for j, v in enumerate(values):
                    if v is not None:
                        ws.write(r, j, spreadsheet_safe(v) if isinstance(v, str) else v)
                r += 1
            r += 1
            for key, text in (("total", "总分"), ("composite", "综合得分"), ("pay", "绩效工资（元）"),
                              ("rank", "名次")):
                if key == "composite" and month.division == "presales":
                    continue
                ws.write(r, 0, text, bold)
                ws.write(r, 1, row[key])
                r += 1
            flags = flag_labels(row["flags"])
            if flags:
                ws.write(r, 0, "标记", bold)
                ws.write(r, 1, flags, red)
            ws.set_column(0, 0, 16)
            ws.set_column(2, 3, 30)
            ws.set_column(4, 7, 10)
    return buf.getvalue()
