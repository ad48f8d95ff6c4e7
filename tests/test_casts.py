"""Every value form of the data contract, cast by the SQL macros."""
from datetime import date, datetime

import pytest

from loaders.casts import install_macros
from loaders.readers import new_scratch


@pytest.fixture(scope="module")
def con():
    c = new_scratch()
    install_macros(c)
    return c


def one(con, expr, value):
    return con.execute(f"SELECT {expr}", [value]).fetchall()[0][0]


@pytest.mark.parametrize("text, expected", [
    ("2026-10-03 14:05:09", datetime(2026, 10, 3, 14, 5, 9)),
    ("2026/10/3 14:05", datetime(2026, 10, 3, 14, 5)),
    ("2026年10月3日 14时05分", datetime(2026, 10, 3, 14, 5)),
    ("2026年10月03日 14时05分09秒", datetime(2026, 10, 3, 14, 5, 9)),
    ("2026-10-03 14:05:09 +0800", datetime(2026, 10, 3, 14, 5, 9)),
    ("2026-10-03 06:05:09+0000", datetime(2026, 10, 3, 14, 5, 9)),    # converted to local (UTC+8)
    ("2026-10-03T06:05:09Z", datetime(2026, 10, 3, 14, 5, 9)),
    ("1791007509", datetime(2026, 10, 3, 14, 5, 9)),                  # Unix seconds
    ("1791007509000", datetime(2026, 10, 3, 14, 5, 9)),               # Unix milliseconds
    ("46298.5", datetime(2026, 10, 3, 12, 0)),                         # Excel serial
    ("2026-10-03", datetime(2026, 10, 3)),
    ("  2026-10-03 14:05:09\t", datetime(2026, 10, 3, 14, 5, 9)),
    ("2026-02-30 10:00", None), ("bad-date", None), ("--", None), ("无", None), ("", None),
])
def test_timestamps(con, text, expected):
    assert one(con, "parse_ts(nz(?))", text) == expected


@pytest.mark.parametrize("text, seconds", [
    ("95", 95), ("95.0", 95), ("01:35", 95), ("1:02:03", 3723), ("1分35秒", 95), ("1时2分3秒", 3723),
    ("35秒", 35), ("2分钟", 120), ("1小时", 3600), ("-5", -5), ("约半分钟", None), ("-", None),
])
def test_durations(con, text, seconds):
    assert one(con, "parse_duration(nz(?))", text) == seconds


@pytest.mark.parametrize("text, amount", [
    ("¥1,234.50", "1234.50"), ("￥88元", "88.00"), ("12,000", "12000.00"), ("无退款申请", "0.00"),
    ("-¥20.00", "-20.00"), ("abc", None),
])
def test_money(con, text, amount):
    value = one(con, "parse_money(nz(?))", text)
    assert (None if value is None else str(value)) == amount


@pytest.mark.parametrize("text, cleaned", [
    ('="00123"', "00123"), ("'00456", "00456"), (" 789 ", "789"), ("--", None), ("NULL", None), ("无", None),
])
def test_ids(con, text, cleaned):
    assert one(con, "clean_id(?)", text) == cleaned


@pytest.mark.parametrize("text", ["2026-10", "2026/10", "2026年10月", "2026-10-15 00:00:00", "46310", "202610"])
def test_months(con, text):
    assert one(con, "parse_month(nz(?))", text) == date(2026, 10, 1)


def test_leading_apostrophe_is_dropped_everywhere(con):
    # Excel's text mark, and what spreadsheet_safe adds to a cell starting with = + - @
    assert one(con, "nz(?)", "'=SUM(A1)") == "=SUM(A1)"
