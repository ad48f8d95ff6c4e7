"""One table of figures: printed for the terminal, and written into docs/benchmarks.md.

The Markdown goes between ``<!-- bench:<scale> -->`` markers, so the hand-written parts of the
page (profiles, before/after) stay as they are when a run rewrites its results.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from bench.measure import Figure
from bench.scales import Scale

HEADERS = ("类别", "项目", "我们", "对照", "对照值", "比值", "目标", "达标", "备注")


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f} MB" if unit == "MB" else f"{v:,.2f} s"


def _ratio(f: Figure) -> str:
    r = f.ratio
    if r is None:
        return "—"
    return f"{r:.2f}×" if r >= 1 else f"{r:.3f}×（快 {1 / r:.1f}×）"


def _ok(f: Figure) -> str:
    return {True: "✅", False: "❌", None: "—"}[f.ok]


def cells(f: Figure) -> list[str]:
    return [f.group, f.name, _value(f.ours, f.unit), f.baseline or "—", _value(f.base, f.unit), _ratio(f),
            f.goal or "—", _ok(f), f.note]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(figures: list[Figure]) -> str:
    rows = [list(HEADERS)] + [cells(f) for f in figures]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(scale: Scale, figures: list[Figure], machine: dict, seconds: float) -> str:
    head = "| " + " | ".join(HEADERS) + " |\n|" + "---|" * len(HEADERS)
    body = "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in cells(f)) + " |" for f in figures)
    return (f"### `--scale {scale.name}`: {scale.tickets:,} 工单 · {scale.callbacks:,} 回访 · {scale.sales:,} 订单 · "
            f"{scale.months} 个月 · {scale.stores} 家门店 · {scale.agents} 名客服\n\n"
            f"运行于 {datetime.now():%Y-%m-%d %H:%M}，共 {seconds / 60:.0f} 分钟；机器：{machine['cpu']}，"
            f"{machine['cores']} 核，{machine['memory_gb']} GB 内存，{machine['os']}，Python {machine['python']}，"
            f"DuckDB {machine['duckdb']}，pandas {machine['pandas']}，SQLAlchemy {machine['sqlalchemy']}，"
            f"Streamlit {machine['streamlit']}。\n\n{head}\n{body}\n")


def write_markdown(path: Path, scale: Scale, text: str) -> None:
    start, end = f"<!-- bench:{scale.name} -->", f"<!-- /bench:{scale.name} -->"
    block = f"{start}\n{text}{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else "# 性能基准 Benchmarks\n\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    current = pattern.sub(lambda _m: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block
    path.write_text(current.rstrip() + "\n", encoding="utf-8")
