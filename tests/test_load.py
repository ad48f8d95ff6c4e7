"""Loading rules, on DuckDB and on PostgreSQL (the ``wh`` fixture runs each test on both).

Expected figures are counted by hand from tests/fixtures (see its README)."""
import json
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import FIXTURES
from loaders import LoadError, load_file, load_mapping


def rows(wh, sql, **params):
    with wh.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def scalar(wh, sql, **params):
    return rows(wh, sql, **params)[0][0]


def load_all(wh):
    load_file(wh, "roster", FIXTURES / "roster.csv")
    return load_file(wh, "tickets", FIXTURES / "tickets_basic.csv")


# ---------------------------------------------------------------- tickets
def test_tickets_counts_and_rejects(wh):
    r = load_all(wh)
    # 14 data rows: T07 (已删除) and 合计 skipped; T08-T10 rejected; T06a+T06b → T06; T11 (answered, no
    # agent) loads with its agent unresolved and is counted (data contract: not rejected)
    assert (r.rows_read, r.rows_skipped, r.rows_rejected, r.rows_inserted, r.rows_merged) == (14, 2, 3, 8, 1)
    assert "1 个已接来电的客服不在花名册中" in r.summary()
    assert r.ignored_columns == ["多余列"]
    assert rows(wh, "SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (11, "来电时间：无法识别为时间「bad-date」"),
        (12, "通话结果：未知的取值「呼叫中」"),
        (13, "振铃时长：不能为负数「-2」"),
    ]
    raw = json.loads(scalar(wh, "SELECT raw_row FROM rejects WHERE line_no = 11"))
    assert raw["话单ID"] == "T08" and raw["来电时间"] == "bad-date" and raw["座席工号"] == "1002"


def test_tickets_values(wh):
    load_all(wh)
    got = {r[0]: r[1:] for r in rows(wh, """
        SELECT ticket_id, created_at, channel, direction, call_result, agent_id, ring_seconds, ring_count,
               queue_seconds, hold_seconds, hold_count, talk_seconds, status, is_complaint, legs, line_no
        FROM tickets""")}
    assert set(got) == {"T01", "T02", "T03", "T04", "T05", "T06", "T11", "T12"}
    assert got["T11"][3:5] == ("answered", None)
    t01 = got["T01"]
    assert str(t01[0]) == "2026-10-03 14:05:09" and t01[1:5] == ("phone", "in", "answered", "1001")
    assert t01[10] == 95                                  # 1:35
    assert got["T02"][3] == "missed" and got["T02"][12] is True   # 售后/投诉/… → complaint
    assert got["T03"][3] == "not_offered" and got["T03"][2] == "in"   # 普通来电 → in
    t04 = got["T04"]
    assert str(t04[0]) == "2026-10-03 14:20:00"           # +0800 suffix
    assert (t04[5], t04[6], t04[8], t04[9], t04[10]) == (None, 2, 45, 2, 125)   # 响铃次数; 00:45; 2分5秒
    t05 = got["T05"]
    assert str(t05[0]) == "2026-10-03 14:20:00"           # Unix seconds 1791008400 in UTC+8
    assert t05[4] == "1003"                               # nickname 小李 → roster agent 1003
    assert t05[5] == 17                                   # ring = 应答时间 − 振铃时间
    # transfer: answered if any leg was; queue and ring of the first leg; talk and hold summed;
    # the agent who answered
    t06 = got["T06"]
    assert (t06[3], t06[4], t06[5], t06[7], t06[8], t06[10], t06[13]) == ("answered", "1003", 20, 10, 40, 100, 2)
    assert got["T12"][1] == "online" and got["T12"][3] is None and got["T12"][10] == 180


def test_same_file_twice_changes_nothing(wh):
    load_all(wh)
    before = rows(wh, "SELECT * FROM tickets ORDER BY ticket_id")
    again = load_file(wh, "tickets", FIXTURES / "tickets_basic.csv")
    assert again.status == "duplicate" and again.load_id == 2
    assert rows(wh, "SELECT * FROM tickets ORDER BY ticket_id") == before
    assert scalar(wh, "SELECT count(*) FROM rejects") == 3


def test_overlapping_reexport_replaces_by_key(wh):
    load_all(wh)
    r = load_file(wh, "tickets", FIXTURES / "tickets_reexport.csv")
    assert (r.rows_inserted, r.rows_replaced) == (1, 1)
    assert scalar(wh, "SELECT count(*) FROM tickets") == 9
    assert rows(wh, "SELECT talk_seconds, load_id FROM tickets WHERE ticket_id = 'T01'") == [(200, r.load_id)]


def test_strict_refuses_the_whole_file(wh):
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", FIXTURES / "tickets_basic.csv", strict=True)
    assert "严格模式" in str(err.value) and "第 11 行" in str(err.value)
    assert scalar(wh, "SELECT count(*) FROM tickets") == 0
    assert scalar(wh, "SELECT count(*) FROM load_log") == 0


def test_load_log(wh, monkeypatch):
    monkeypatch.setenv("CSDASH_USER", "王经理")
    load_all(wh)
    log = rows(wh, """SELECT file_name, kind, sha256, rows_read, rows_inserted, rows_replaced, rows_rejected,
                             rows_skipped, ignored_columns, loaded_by, duration_seconds FROM load_log
                      WHERE kind = 'tickets'""")[0]
    import hashlib
    assert log[:2] == ("tickets_basic.csv", "tickets")
    assert log[2] == hashlib.sha256((FIXTURES / "tickets_basic.csv").read_bytes()).hexdigest()
    assert log[3:8] == (14, 8, 0, 3, 2)
    assert json.loads(log[8]) == ["多余列"] and log[9] == "王经理" and log[10] >= 0


# ---------------------------------------------------------------- encodings and formats
def _variants(tmp_path):
    text = (FIXTURES / "tickets_basic.csv").read_text(encoding="utf-8")
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "gb18030.csv").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    lines = text.splitlines()
    header = lines[1].split(",")
    body = [line.split(",") for line in lines[2:]]
    frame = pd.DataFrame(body, columns=header)
    with pd.ExcelWriter(tmp_path / "first.xlsx", engine="xlsxwriter") as xw:
        pd.DataFrame([["导出时间：2026-11-01"]]).to_excel(xw, sheet_name="明细", index=False, header=False)
        frame.to_excel(xw, sheet_name="明细", index=False, startrow=2)
    with pd.ExcelWriter(tmp_path / "named.xlsx", engine="xlsxwriter") as xw:
        pd.DataFrame({"说明": ["无关的首页"]}).to_excel(xw, sheet_name="说明", index=False)
        frame.to_excel(xw, sheet_name="话单", index=False)
    return tmp_path


@pytest.mark.parametrize("name, sheet, encoding", [
    ("gbk.csv", None, "gb18030"), ("gb18030.csv", None, "gb18030"), ("bom.csv", None, "utf-8-sig"),
    ("first.xlsx", None, "xlsx"), ("named.xlsx", "话单", "xlsx"),
])
def test_encodings_and_excel_give_the_same_rows(wh, tmp_path, name, sheet, encoding):
    _variants(tmp_path)
    load_file(wh, "roster", FIXTURES / "roster.csv")
    r = load_file(wh, "tickets", tmp_path / name, sheet=sheet)
    assert r.encoding == encoding
    assert (r.rows_inserted, r.rows_rejected, r.rows_skipped) == (8, 3, 2)
    assert rows(wh, "SELECT ticket_id, talk_seconds FROM tickets WHERE ticket_id IN ('T01', 'T04') "
                    "ORDER BY 1") == [("T01", 95), ("T04", 125)]


def test_unknown_sheet_is_named(wh, tmp_path):
    _variants(tmp_path)
    with pytest.raises(LoadError, match="没有名为「汇总」的工作表.*说明, 话单"):
        load_file(wh, "tickets", tmp_path / "named.xlsx", sheet="汇总")


def test_excel_date_cells_and_number_ids(wh, tmp_path):
    from datetime import datetime
    frame = pd.DataFrame({"订单号": [123456789012, 2], "成交时间": [datetime(2026, 10, 3, 9, 30), datetime(2026, 10, 4)],
                          "实收金额": [99.5, 10]})
    frame.to_excel(tmp_path / "pos.xlsx", index=False)
    load_file(wh, "sales", tmp_path / "pos.xlsx")
    assert rows(wh, "SELECT order_id, ordered_at, amount FROM sales ORDER BY order_id") == [
        ("123456789012", pd.Timestamp("2026-10-03 09:30").to_pydatetime(), Decimal("99.50")),
        ("2", pd.Timestamp("2026-10-04").to_pydatetime(), Decimal("10.00"))]


# ---------------------------------------------------------------- file-level errors
def test_missing_required_column_message(wh, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("话单ID,渠道,通话结果\nT1,电话,已接听\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", f)
    msg = str(err.value)
    assert msg.startswith("bad.csv: ")
    assert "created_at" in msg and "来电时间、呼叫时间" in msg and "文件中找到的表头：话单ID、渠道、通话结果" in msg
    assert scalar(wh, "SELECT count(*) FROM load_log") == 0


def test_wrong_kind_is_named(wh):
    with pytest.raises(LoadError, match="请用 load sales"):
        load_file(wh, "tickets", FIXTURES / "sales_basic.csv")


@pytest.mark.parametrize("content, message", [
    (b"", "空的"), (b"\n\n", "空的"), ("话单ID,来电时间,渠道\n".encode(), "没有数据行"),
])
def test_empty_files(wh, tmp_path, content, message):
    f = tmp_path / "e.csv"
    f.write_bytes(content)
    with pytest.raises(LoadError, match=message):
        load_file(wh, "tickets", f)


def test_bad_bytes_reject_their_line(wh, tmp_path):
    """A line that does not decode is rejected with its own line number; the rest loads."""
    f = tmp_path / "mixed.csv"
    f.write_bytes("话单ID,来电时间,渠道\nT1,2026-10-01,在线\n".encode("gbk") + b"T2,\xff\xff\xff,x\n")
    report = load_file(wh, "tickets", f)
    assert (report.rows_inserted, report.rows_rejected) == (1, 1)
    with wh.connect() as conn:
        line, reason = conn.execute(sa.text("SELECT line_no, reason FROM rejects")).one()
    assert line == 3 and "解码" in reason


# ---------------------------------------------------------------- callbacks
def test_callbacks_grades_and_orphans(wh):
    load_all(wh)
    r = load_file(wh, "callbacks", FIXTURES / "callbacks_basic.csv")
    assert (r.rows_inserted, r.rows_rejected, r.orphans) == (5, 1, 1)     # H04 → T99 is not loaded
    assert rows(wh, "SELECT callback_id, result, satisfaction FROM callbacks ORDER BY 1") == [
        ("H01", "reached", "A"), ("H02", "reached", "B"), ("H03", "unreached", None),
        ("H04", "reached", "D"), ("H05", "reached", None)]
    assert rows(wh, "SELECT line_no, reason FROM rejects WHERE kind = 'callbacks'") == [
        (7, "满意度：未知的取值「超级满意」")]


@pytest.mark.parametrize("name, words", [
    ("callbacks_three_level.csv", "好评、差评"), ("callbacks_keypress.csv", "1、3")])
def test_unsafe_scales_refused_until_declared(wh, name, words):
    with pytest.raises(LoadError) as err:
        load_file(wh, "callbacks", FIXTURES / name)
    assert words in str(err.value) and "映射文件" in str(err.value)
    r = load_file(wh, "callbacks", FIXTURES / name, mapping=load_mapping(FIXTURES / "mapping.toml"))
    assert r.rows_inserted == 2 and r.rows_rejected == 0
    assert [g for (g,) in rows(wh, "SELECT satisfaction FROM callbacks ORDER BY callback_id")] == ["A", "D"]


# ---------------------------------------------------------------- sales
def test_sales(wh):
    r = load_file(wh, "sales", FIXTURES / "sales_basic.csv")
    assert (r.rows_read, r.rows_inserted, r.rows_rejected, r.rows_skipped) == (7, 4, 2, 1)
    assert rows(wh, "SELECT order_id, amount, refund_amount, status, paid_at IS NULL FROM sales ORDER BY 1") == [
        ("9001", Decimal("1234.50"), Decimal("0.00"), "completed", False),   # 买家实际支付金额 beats 总金额
        ("9002", Decimal("88.00"), Decimal("0.00"), "unpaid", True),
        ("9003", Decimal("200.00"), Decimal("50.00"), "paid", False),
        ("9004", Decimal("300.00"), Decimal("300.00"), "refunded", False)]
    assert [reason for (reason,) in rows(wh, "SELECT reason FROM rejects ORDER BY line_no")] == [
        "买家实际支付金额：无法识别为金额「abc」", "订单状态：未知的取值「神秘状态」"]


# ---------------------------------------------------------------- roster and scorecard inputs
def test_scorecard_inputs(wh):
    load_file(wh, "roster", FIXTURES / "roster.csv")
    r = load_file(wh, "scorecard_inputs", FIXTURES / "scorecard_inputs.csv")
    assert (r.rows_inserted, r.rows_rejected) == (3, 3)
    got = rows(wh, "SELECT agent_id, CAST(month AS VARCHAR), attitude_grade, exam_score, red_line "
                   "FROM scorecard_inputs ORDER BY 1")
    assert got == [("1001", "2026-10-01", "A", 80, None), ("1002", "2026-10-01", "B", 95, None),
                   ("1003", "2026-10-01", "C", 70, "与客户争吵")]
    assert [reason for (reason,) in rows(wh, "SELECT reason FROM rejects ORDER BY line_no")] == [
        "工号「9999」不在人员名单中（请先导入 roster）", "笔试分数：超出范围 0–100「120」", "工作态度：未知的取值「F」"]


def test_roster(wh):
    load_file(wh, "roster", FIXTURES / "roster.csv")
    assert rows(wh, "SELECT agent_id, nickname, division, employment, CAST(active_from AS VARCHAR) "
                    "FROM roster ORDER BY 1") == [
        ("1001", None, "aftersales", "formal", "2025-01-01"), ("1002", None, "presales", "formal", "2025-01-01"),
        ("1003", "小李", "presales", "other", "2025-06-01")]


# ---------------------------------------------------------------- mapping file
def test_mapping_adds_aliases_and_words(wh, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("话单ID,来电时间,渠道,接听结果,振铃时长,座席工号\nT1,2026-10-01 09:00,电话,转接成功,3,1001\n",
                 encoding="utf-8")
    # without the mapping 接听结果 is an unknown column, so the phone row has no call result
    with pytest.raises(LoadError, match="电话记录缺少通话结果"):
        load_file(wh, "tickets", f, strict=True)
    r = load_file(wh, "tickets", f, mapping=load_mapping(FIXTURES / "mapping.toml"))
    assert r.rows_inserted == 1
    assert rows(wh, "SELECT call_result FROM tickets") == [("answered",)]


def test_bad_mapping_lists_every_problem(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[tickets.aliases]\nnope = ["x"]\n[tickets.values.call_result]\n"x" = "maybe"\n[widgets]\n',
                 encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_mapping(f)
    msg = str(err.value)
    assert "未知的列「nope」" in msg and "「maybe」不是有效取值" in msg and "未知的文件类型「widgets」" in msg


def test_unknown_kind(wh):
    with pytest.raises(LoadError, match="未知的文件类型「calls」"):
        load_file(wh, "calls", FIXTURES / "tickets_basic.csv")
