"""What a file and its values may be: one row per limit, each a setting of the loader.

A value outside its limit rejects the row with the reason; a file outside its limits is refused
before it is expanded.  Each limit is read from the environment variable ``CSDASH_LIMIT_<NAME>``
(upper case), else its default: e.g. ``CSDASH_LIMIT_MIN_DATE=1985-01-01``.  Deliberately not a
warehouse setting: the loaders sit below the metric layer and a limit must hold before anything
is written.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Limit:
    name: str
    default: object
    zh: str
    en: str


LIMITS = (
    Limit("min_date", "1990-01-01", "最早的合理日期（之前的时间整行拒收）", "Earliest plausible date (older rows are rejected)"),
    Limit("max_days_ahead", 366, "最晚的合理日期：今天之后的天数", "Latest plausible date: days after today"),
    Limit("max_duration_seconds", 86_400, "时长上限（秒）", "Longest duration (seconds)"),
    Limit("max_count", 100_000, "次数上限", "Largest count"),
    Limit("max_amount", 1_000_000_000, "金额上限（元）", "Largest amount (yuan)"),
    Limit("max_cell_chars", 32_767, "单元格字符数上限（同 Excel）", "Longest cell in characters (as in Excel)"),
    Limit("max_columns", 1_000, "文件列数上限", "Most columns in a file"),
    Limit("max_xlsx_mb", 500, "Excel 解压后大小上限（MB）", "Largest Excel file once uncompressed (MB)"),
    Limit("max_xlsx_rows", 2_000_000, "Excel 行数上限", "Most rows in an Excel sheet"),
    # when a load is loud (a warning on the CLI's stderr and the import page) or fails (exit 3)
    Limit("warn_rejected_share", 0.2, "拒收行占比达到此值时警告", "Warn when this share of rows is rejected"),
    Limit("fail_rejected_share", 0.5, "拒收行占比达到此值时命令行退出码为 3", "Exit 3 when this share of rows is rejected"),
    Limit("warn_same_file_keys_share", 0.01, "同一文件内键重复（互相替换）的行占比超过此值时警告",
          "Warn when more than this share of rows replace another row of the same file by key"),
    Limit("constant_min_rows", 10, "一列全为同一值时警告所需的最少行数", "Fewest rows before a constant column is warned about"),
)
BY_NAME = {lim.name: lim for lim in LIMITS}


def limit(name: str):
    """The limit in force: the environment's value (same type as the default), else the default."""
    lim = BY_NAME[name]
    raw = os.environ.get(f"CSDASH_LIMIT_{name.upper()}")
    if raw is None or not raw.strip():
        return lim.default
    return type(lim.default)(raw.strip())


def date_window(today: date | None = None) -> tuple[date, date]:
    """(earliest, latest) plausible date of any timestamp in a file."""
    today = today or date.today()
    return date.fromisoformat(str(limit("min_date"))), today + timedelta(days=int(limit("max_days_ahead")))
