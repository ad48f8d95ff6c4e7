"""Exports nobody here designed (issue 15): three vendor shapes load from a mapping file alone, with
every figure counted by hand; doubtful loads are loud; fixing the mapping or the roster and reloading
reapplies the file; rejects are resolved by the load that brings their key.

Fixtures (tests/fixtures/vendor/, written by the project in the vendors' shapes):
- english_calls.csv: English headers, date and time in two columns, day-first dates, H:MM:SS talk
  time, ratings 1–5, no channel column, no ring figure on unanswered calls (+ english_calls.toml);
- bank_calls.tsv: tab-separated, YYMMDD dates, a call id repeated across lines and days, outcome
  words AGENT / HANG / PHANTOM, NO_SERVER as the agent of unanswered calls (+ bank_calls.toml);
- tmall_orders.csv: no status column, 买家实际支付金额 already net of 退款金额 (+ tmall_orders.toml).
Settings in force: defaults (ring cycle 5 s, short abandon ≤ 1 ring, voicemail counted as missed).
"""
import json

import pytest
import sqlalchemy as sa

from conftest import FIXTURES
from loaders import LoadError, load_file
from loaders.mapping import load_mapping, parse_mapping_text
from metrics import Scope, compute

V = FIXTURES / "vendor"
CALL_KPIS = ["offered_calls", "answer_rate", "abandon_rate", "asa_seconds", "aht_seconds"]


def figures(wh, kpis, month="2026-10", dims=()):
    df = compute(wh, kpis, months=[month], dims=dims, scope=Scope.all())
    return {tuple(getattr(r, d) for d in dims) + (r.kpi,): (r.value, r.numerator, r.denominator)
            for r in df.itertuples(index=False)}


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def rows(wh, sql, **params):
    with wh.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def mapping(name):
    return load_mapping(V / name)


def edited(name, old, new):
    """A vendor mapping with one line changed (a user's first, wrong try)."""
    text = (V / name).read_text(encoding="utf-8")
    assert old in text
    return parse_mapping_text(text.replace(old, new), name)


# ---------------------------------------------------------------- the English-header call log
def test_english_call_log_loads_from_its_mapping(wh):
    m = mapping("english_calls.toml")
    r = load_file(wh, "tickets", V / "english_calls.csv", mapping=m)
    assert (r.rows_read, r.rows_inserted, r.rows_rejected) == (8, 8, 0) and r.warnings == []
    # ID0003, ID0005, ID0007: not answered, no ring figure → offered and missed, counted
    # ID0001 … ID0008 answered by Diane, Becky, Greg…: nobody is in the roster → unresolved, counted
    summary = r.summary()
    assert "3 个未接来电没有振铃、排队或响铃次数" in summary and "5 个已接来电的客服不在花名册中" in summary
    got = dict(rows(wh, "SELECT ticket_id, CAST(created_at AS VARCHAR) FROM tickets"))
    assert got["ID0004"].startswith("2026-10-13 11:30:00")     # 13/10/2026: day first
    assert got["ID0001"].startswith("2026-10-03 09:12:00")     # 03/10/2026, not 10 March
    f = figures(wh, CALL_KPIS + ["fcr_rate"])
    # offered: all 8 (phone by the mapping's constant, inbound by default)
    assert f[("offered_calls",)][0] == 8
    # answered Y: ID0001 0002 0004 0006 0008 = 5; short abandons none (no ring figure) → 5 / 8
    assert f[("answer_rate",)] == (approx(5 / 8), 5, 8)
    # missed N: ID0003 0005 0007 = 3 of 8 offered
    assert f[("abandon_rate",)] == (approx(3 / 8), 3, 8)
    # speed of answer 10 + 30 + 50 + 20 + 70 = 180 s over 5 answered
    assert f[("asa_seconds",)] == (approx(36), 180, 5)
    # talk 0:02:30 + 0:04:00 + 0:01:30 + 0:03:00 + 0:06:00 = 150 + 240 + 90 + 180 + 360 = 1020 s / 5
    assert f[("aht_seconds",)] == (approx(204), 1020, 5)
    by_agent = figures(wh, ["answer_rate"], dims=("agent",))
    assert set(by_agent) == {(None, "answer_rate")}             # shown as （未知） on the pages


def test_one_header_feeds_two_columns_as_callbacks(wh):
    m = mapping("english_calls.toml")
    load_file(wh, "tickets", V / "english_calls.csv", mapping=m)
    r = load_file(wh, "callbacks", V / "english_calls.csv", mapping=m)
    assert (r.rows_inserted, r.rows_rejected, r.orphans) == (8, 0, 0)
    assert r.warnings == []     # ratings on 5 of 8 rows: the satisfaction input is not empty
    assert rows(wh, "SELECT count(*) FROM callbacks WHERE callback_id = ticket_id") == [(8,)]
    # ratings 5 4 3 2 5 → A B C D A (1–5 scale); A + B = 3 of 5 rated
    f = figures(wh, ["satisfaction_rate"])
    assert f[("satisfaction_rate",)] == (approx(3 / 5), 3, 5)


def test_english_log_without_mapping_says_how(wh):
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", V / "english_calls.csv")
    msg = err.value.render("en")
    assert "Call Id, Agent, Date" in msg.replace("、", ", ") and "[tickets.columns]" in msg
    assert "use load" not in msg          # it fits no other kind better: no wrong-kind hint


def test_day_first_dates_without_format_teach_the_option(wh, tmp_path):
    m = edited("english_calls.toml", ', format = "%d/%m/%Y %H:%M:%S"', "")
    r = load_file(wh, "tickets", V / "english_calls.csv", mapping=m)
    # 03/10/2026 9:12:00 etc.: none is a recognised form → every row rejected, and the warning teaches
    assert r.rows_rejected == 8
    text = " ".join(r.warning_lines())
    assert "Date + Time" in text and "format" in text and "2026年10月3日" in text


# ---------------------------------------------------------------- the bank's raw log
def test_bank_log_composite_key_and_queue_wait(wh):
    r = load_file(wh, "tickets", V / "bank_calls.tsv", mapping=mapping("bank_calls.toml"))
    # 6 lines, 6 keys (vru+line-call_id-date): 33116 appears on two lines and two days
    assert (r.rows_read, r.rows_inserted, r.rows_replaced, r.rows_rejected) == (6, 6, 0, 0)
    assert r.warnings == []
    assert "3 个已接来电的客服不在花名册中" in r.summary()
    ids = [x for (x,) in rows(wh, "SELECT ticket_id FROM tickets ORDER BY ticket_id")]
    assert ids[:3] == ["AA0101-33116-261001", "AA0101-33116-261002", "AA0102-33116-261001"]
    assert rows(wh, "SELECT agent_name FROM tickets WHERE ticket_id LIKE 'AA0102%'") == [(None,)]   # NO_SERVER
    f = figures(wh, CALL_KPIS)
    # PHANTOM (AA0103) is not offered → 5 offered; AGENT ×3 answered; HANG ×2 missed (queue 40 s and
    # 15 s: no ring figure → not short abandons)
    assert f[("offered_calls",)][0] == 5
    assert f[("answer_rate",)] == (approx(3 / 5), 3, 5)
    assert f[("abandon_rate",)] == (approx(2 / 5), 2, 5)
    # no ring figure: the wait of an answered call is its queue time, 6 + 12 + 25 = 43 s over 3
    assert f[("asa_seconds",)] == (approx(43 / 3), 43, 3)
    # ser_time 124 + 60 + 210 = 394 s over 3
    assert f[("aht_seconds",)] == (approx(394 / 3), 394, 3)


def test_non_unique_key_is_loud(wh, tmp_path):
    m = edited("bank_calls.toml", 'ticket_id     = { from = ["vru+line", "call_id", "date"] }', 'ticket_id = "call_id"')
    r = load_file(wh, "tickets", V / "bank_calls.tsv", mapping=m)
    # call_id 33116 on three lines → one row: 2 of 6 lines replaced another of the same file (33.3 %)
    assert r.rows_inserted == 4
    text = " ".join(r.warning_lines("en"))
    assert "33.3% of the rows (2)" in text and "(call_id)" in text and "composite key" in text


# ---------------------------------------------------------------- the Tmall order report
def test_tmall_net_amounts_and_unpaid_orders(wh):
    r = load_file(wh, "sales", V / "tmall_orders.csv", mapping=mapping("tmall_orders.toml"))
    assert (r.rows_inserted, r.rows_rejected) == (5, 0) and r.warnings == []
    assert "1 个订单没有付款时间，记为未付款" in r.summary()
    assert rows(wh, "SELECT order_id, status FROM sales WHERE status <> 'completed'") == [("T004", "unpaid")]
    f = figures(wh, ["revenue", "orders", "aov", "refund_rate"])
    # paid: T001 T002 T003 T005 (T004 has no paid time); revenue = net as given 100 + 150 + 0 + 300
    assert f[("revenue",)][0] == approx(550) and f[("orders",)][0] == 4
    assert f[("aov",)] == (approx(137.5), 550, 4)
    # refunded among paid: T002 (50) and T003 (80, more than its net 0: valid) = 2 of 4
    assert f[("refund_rate",)] == (approx(2 / 4), 2, 4)


def test_tmall_as_gross_rejects_and_undercounts(wh):
    """Without the option the same file is read as gross: the wrong reading the option exists for."""
    r = load_file(wh, "sales", V / "tmall_orders.csv")
    assert r.rows_rejected == 1                                  # T003: refund 80 > amount 0
    # 100 + (150 − 50) + 300: the refund subtracted twice from T002
    assert figures(wh, ["revenue"])[("revenue",)][0] == approx(500)


# ---------------------------------------------------------------- loud loads: each warning and its silence
def _calls(tmp_path, n, bad=0, channel="电话", result=None):
    """n calls (answered and missed in turn, unless ``result``) and ``bad`` rows with no time."""
    def res(i):
        return result or ("已接听", "未接通")[i % 2]
    lines = ["话单ID,来电时间,渠道,通话结果,振铃时长,座席工号"]
    lines += [f"C{i},2026-10-0{1 + i % 9} 10:00:00,{channel},{res(i)},5,1001" for i in range(n)]
    lines += [f"X{i},not-a-time,{channel},{res(i)},5,1001" for i in range(bad)]
    f = tmp_path / f"calls_{n}_{bad}_{channel}.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def test_warn_when_a_fifth_is_rejected(wh, tmp_path):
    r = load_file(wh, "tickets", _calls(tmp_path, 8, bad=2))    # 2 of 10 = 20 %
    assert any("20.0%" in w for w in r.warning_lines("en"))
    quiet = load_file(wh, "tickets", _calls(tmp_path, 9, bad=1))   # 1 of 10
    assert not any("rejected" in w for w in quiet.warning_lines("en"))


def test_warn_when_no_offered_phone_call(wh, tmp_path):
    r = load_file(wh, "tickets", _calls(tmp_path, 12, channel="传真"))   # every channel → other
    text = " ".join(r.warning_lines("en"))
    assert "not one inbound phone call" in text and 'channel = { value = "phone" }' in text
    assert "channel (渠道) is “other” on all 12 rows" in text
    ok = load_file(wh, "tickets", _calls(tmp_path, 12))
    assert ok.warnings == []


def test_warn_when_a_kpi_input_is_constant(wh, tmp_path):
    r = load_file(wh, "tickets", _calls(tmp_path, 12, result="未接通"))   # every call missed
    assert any("call_result (通话结果) is “missed” on all 12 rows" in w for w in r.warning_lines("en"))
    few = load_file(wh, "tickets", _calls(tmp_path, 9, result="未接通"))  # under 10 rows: no verdict
    assert few.warnings == []


def test_warn_when_a_kpi_input_is_empty(wh, tmp_path):
    f = tmp_path / "cb.csv"
    f.write_text("回访编号,工单编号,回访时间\nB1,T1,2026-10-01 10:00\n", encoding="utf-8")
    r = load_file(wh, "callbacks", f)
    assert any("satisfaction" in w and "empty on all 1 rows" in w for w in r.warning_lines("en"))


# ---------------------------------------------------------------- fix and reload
def test_fixing_the_mapping_reapplies_the_file_and_resolves_rejects(wh, tmp_path):
    first = edited("english_calls.toml", 'ring_seconds = "Speed of answer in seconds"\n', "")
    r1 = load_file(wh, "tickets", V / "english_calls.csv", mapping=first)
    # answered calls with no wait figure at all are rejected: 5
    assert (r1.rows_inserted, r1.rows_rejected) == (3, 5)
    assert rows(wh, "SELECT count(*) FROM rejects WHERE resolved_load_id IS NULL") == [(5,)]
    again = load_file(wh, "tickets", V / "english_calls.csv", mapping=first)
    assert again.status == "duplicate"                           # same file, same mapping
    r2 = load_file(wh, "tickets", V / "english_calls.csv", mapping=mapping("english_calls.toml"))
    assert r2.status == "loaded" and (r2.rows_inserted, r2.rows_replaced, r2.rows_rejected) == (5, 3, 0)
    assert r2.rows_resolved == 5
    assert rows(wh, "SELECT count(*) FROM rejects WHERE resolved_load_id IS NULL") == [(0,)]
    assert rows(wh, "SELECT DISTINCT resolved_load_id FROM rejects") == [(r2.load_id,)]
    forced = load_file(wh, "tickets", V / "english_calls.csv", mapping=mapping("english_calls.toml"), force=True)
    assert forced.status == "loaded" and forced.rows_replaced == 8


def test_a_roster_change_reapplies_the_file(wh, tmp_path):
    m = mapping("bank_calls.toml")
    load_file(wh, "tickets", V / "bank_calls.tsv", mapping=m)
    assert load_file(wh, "tickets", V / "bank_calls.tsv", mapping=m).status == "duplicate"
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,昵称,班组\nB01,Michal,MICHAL,银行一组\n", encoding="utf-8")
    load_file(wh, "roster", roster)
    r = load_file(wh, "tickets", V / "bank_calls.tsv", mapping=m)
    assert r.status == "loaded" and r.rows_replaced == 6
    assert rows(wh, "SELECT count(*) FROM tickets WHERE agent_id = 'B01'") == [(2,)]    # MICHAL's two calls
    assert "1 个已接来电的客服不在花名册中" in r.summary()                                 # ANAT still unknown


def test_a_reject_resolved_by_another_file(wh, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("订单编号,下单时间,实付金额\nS1,2026-10-01,abc\nS2,2026-10-01,10\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("订单编号,下单时间,实付金额\nS1,2026-10-01,12\n", encoding="utf-8")
    load_file(wh, "sales", bad)
    assert rows(wh, "SELECT row_key, resolved_load_id FROM rejects") == [("S1", None)]
    r = load_file(wh, "sales", good)
    assert r.rows_resolved == 1 and rows(wh, "SELECT resolved_load_id FROM rejects") == [(r.load_id,)]


# ---------------------------------------------------------------- messages that teach
def test_mapping_problems_all_at_once():
    with pytest.raises(LoadError) as err:
        parse_mapping_text('''
[tickets.columns]
nope = "x"
channel = { value = "fax" }
created_at = { from = "d", format = "dd" }
call_result = { from = "a", value = "b" }
talk_seconds = { from = "x", format = "%H" }
agent_name = { value = "x", empty = ["y"] }
[sales.options]
amount = "neto"
colour = 1
''', "m.toml")
    msg = err.value.render("en")
    for part in ("unknown column “nope”", "constant “fax”", "format “dd”", "exactly one of from",
                 "talk_seconds holds a duration", "agent_name: empty", "amount = “neto”", "unknown option “colour”"):
        assert part in msg, part
    assert msg.count("\n  [") == 8


def test_mapped_header_not_in_file(wh):
    m = parse_mapping_text('[tickets.columns]\nticket_id = "CallNo"\ncreated_at = "When"\n'
                           'channel = { value = "phone" }\n', "m.toml")
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", V / "english_calls.csv", mapping=m)
    msg = str(err.value)
    assert msg.startswith("english_calls.csv: ")
    assert "[tickets.columns] ticket_id：文件中没有表头「CallNo」" in msg and "「When」" in msg


def test_missing_column_says_its_header_was_taken(wh, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("话单ID,来电时间,渠道\nT1,2026-10-01 10:00,电话\n", encoding="utf-8")
    m = parse_mapping_text('[tickets.columns]\ncategory = "渠道"\n', "m.toml")
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", f, mapping=m)
    assert "表头「渠道」已被 category 列使用" in str(err.value) and 'channel = "渠道"' in str(err.value)


def test_wrong_kind_hint_only_when_it_fits_better(wh, tmp_path):
    with pytest.raises(LoadError, match="请用 load sales"):
        load_file(wh, "tickets", FIXTURES / "sales_basic.csv")
    f = tmp_path / "cb.csv"   # a tickets file missing its time: callbacks need more than it has
    f.write_text("工单编号,渠道,通话结果\nT1,电话,已接听\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_file(wh, "tickets", f)
    assert "请用 load" not in str(err.value)


def test_profile_round_trip(wh):
    from loaders import profiles

    m = mapping("bank_calls.toml")
    assert profiles.save_profile(wh, "银行 通话记录", m, user="t") == ["tickets"]
    back = profiles.load_profile(wh, "银行 通话记录")
    assert back.to_data() == m.to_data()
    assert parse_mapping_text(profiles.export_toml(wh, "银行 通话记录"), "x").to_data() == m.to_data()
    assert profiles.last_used(wh, "tickets") is None
    profiles.mark_used(wh, "银行 通话记录", "tickets")
    assert profiles.last_used(wh, "tickets") == "银行 通话记录"
    with pytest.raises(LoadError, match="银行 通话记录"):
        profiles.load_profile(wh, "nope")
    assert json.loads(rows(wh, "SELECT body FROM mapping_profiles")[0][0])["columns"]["channel"] == {"value": "phone"}


def test_upgrade_from_version_3_keeps_loads_and_rejects(wh):
    """A warehouse of schema 3 gains the load context, warnings, reject keys and mapping profiles;
    its loads and rejects are kept, and its files reload once (their context was not recorded)."""
    from warehouse.schema import LOUD_LOAD_COLUMNS, SCHEMA_VERSION, ensure_schema

    f = FIXTURES / "tickets_basic.csv"
    load_file(wh, "tickets", f)
    with wh.begin() as conn:
        for table, column, _ in LOUD_LOAD_COLUMNS:
            conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(sa.text("DROP TABLE mapping_profiles"))
        conn.execute(sa.text("DROP TABLE rollups"))        # added by schema 6 (its 6 → 7 step must not need it)
        conn.execute(sa.text("UPDATE schema_version SET version = 3"))
    assert ensure_schema(wh) == SCHEMA_VERSION == 10
    assert rows(wh, "SELECT count(*), count(row_key), count(resolved_load_id) FROM rejects") == [(3, 0, 0)]
    assert rows(wh, "SELECT count(*) FROM mapping_profiles") == [(0,)]
    r = load_file(wh, "tickets", f)
    assert r.status == "loaded" and r.rows_resolved == 3      # the old rejects, superseded by this load's
    assert load_file(wh, "tickets", f).status == "duplicate"
