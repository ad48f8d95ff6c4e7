"""The extreme-value warehouse: the metric fixtures with the most hostile values the loader still
accepts — names of 32,767 characters, formulas, Markdown and HTML as names, control and bidi
characters, the earliest and latest plausible timestamps, a day-long call, 100,000 rings, a
¥1,000,000,000 order.  Nothing stored here may make a page, a document or an export raise.  The
roll-ups are built after the loads, so the pages read them (from 1990 to a year ahead)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from conftest import FIXTURES
from loaders import load_file
from loaders.limits import date_window, limit
from metrics import rollups

LONG_NAME = ("长名" * 20_000)[: int(limit("max_cell_chars"))]
FORMULA = '=HYPERLINK("http://x","click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
MARKDOWN = "[点我](https://evil.example/login)![b](http://host/b.png)"
HTML = '<a href="http://evil.example">区</a><img src=x onerror=alert(1)>'
PAYLOADS = (FORMULA, DDE, "+1+2", "-3+cmd", "\t=1+1", "\r=1+1", "＝1+1", " =1+1", "@A1")

RENAME = {  # fixture value → hostile value, wherever it appears
    "甲": LONG_NAME, "乙": FORMULA, "售后一组": MARKDOWN, "华东": HTML, "上海店": DDE,
}


def _frame(kind: str) -> pd.DataFrame:
    folder = "stores" if kind == "campaigns" else "metrics"
    return pd.read_csv(FIXTURES / folder / f"{kind}.csv", dtype=str, keep_default_na=False)


def build(wh, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lo, hi = date_window()
    for kind in ("roster", "tickets", "callbacks", "sales", "complaints", "stores", "store_targets", "store_audits",
                 "inventory_snapshots", "receivables", "campaigns"):
        df = _frame(kind).replace(RENAME)
        if kind == "roster":
            extra = df.iloc[[0]].copy()
            extra["工号"], extra["姓名"] = "A9", "张\x00三\u202e反向\u202c"
            df = pd.concat([df, extra])
        if kind == "tickets":
            first, last = df.iloc[[0]].copy(), df.iloc[[0]].copy()
            first["工单编号"], first["来电时间"] = "X_EARLY", f"{lo} 00:00:00"
            last["工单编号"], last["来电时间"] = "X_LATE", f"{hi} 23:59:59"
            for row in (first, last):
                row["通话时长"], row["排队时长"], row["保持时长"] = "86400", "86400", "86400"
                row["响铃次数"], row["振铃时长"], row["解决时间"] = "100000", "86400", ""
                row["问题分类"] = FORMULA
            df = pd.concat([df, first, last])
        if kind == "sales":
            big = df.iloc[[0]].copy()
            big["订单编号"], big["实付金额"] = "S_BIG", str(int(limit("max_amount")))
            df = pd.concat([df, big])
        if kind == "callbacks":
            df["客户意见"] = [MARKDOWN, HTML, FORMULA, LONG_NAME, *df["客户意见"][4:]]
        if kind == "complaints":
            df["投诉内容"] = [MARKDOWN, HTML, FORMULA, LONG_NAME, DDE, *df["投诉内容"][5:]]
            df["责任部门"] = [FORMULA, HTML, "", "", MARKDOWN, *df["责任部门"][5:]]
            df["处理方案"] = [LONG_NAME, *df["处理方案"][1:]]
        if kind == "stores":
            df["门店类型"], df["店长"] = [MARKDOWN, FORMULA], [HTML, LONG_NAME]
        if kind == "store_audits":
            df["品类"] = [FORMULA, MARKDOWN, HTML, *df["品类"][3:]]
        if kind == "campaigns":
            df["说明"] = [MARKDOWN, FORMULA]
            df["活动名称"] = [HTML, DDE]
        path = folder / f"{kind}.csv"
        df.to_csv(path, index=False)
        report = load_file(wh, kind, path, user="extreme")
        assert report.rows_rejected == 0, (kind, report.summary())
    rollups.build(wh)


def months(today: date | None = None) -> tuple[str, str]:
    lo, hi = date_window(today)
    return f"{lo:%Y-%m}", f"{hi:%Y-%m}"
