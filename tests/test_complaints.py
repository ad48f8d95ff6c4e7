"""The complaint loop (issue 19): the register's stages, deadlines and overdue flags counted by hand
on ``fixtures/metrics/complaints.csv``, the scope, and changes made from the page — on DuckDB and
PostgreSQL.  The KPIs themselves are in test_metrics' hand table."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import FIXTURES
from loaders import load_file
from loaders.complaints import history
from metrics import MetricError, Scope, compute, rollups
from metrics.complaints import advance, progress, register, result_hours
from metrics.settings import DEFAULTS
from texts.errors import DomainError

M = FIXTURES / "metrics"
NOW = datetime(2026, 11, 1, 12, 0, 0)


def load(wh):
    rollups.build(wh)
    for kind in ("roster", "tickets", "sales", "complaints"):
        assert load_file(wh, kind, M / f"{kind}.csv").rows_rejected == 0


def loop(frame):
    """complaint → (stage, next stage, due, overdue); pandas 3 keeps a missing text as NaN."""
    return {r.complaint_id: (r.stage, None if pd.isna(r.next_stage) else r.next_stage,
                             None if pd.isna(r.due_at) else str(r.due_at), bool(r.overdue)) for r in frame.itertuples()}


def test_stages_deadlines_and_overdue_by_hand(wh):
    load(wh)
    got = loop(register(wh, months=["2026-10"], scope=Scope.all(), now=NOW))
    assert got == {
        # judged, plan, approved, resolved 10-03, called back 10-04: closed
        "TS01": ("called_back", None, None, False),
        # resolved 10-12 10:00, no callback: due 72 h later, 10-15 10:00 → overdue on 11-01
        "TS02": ("resolved", "called_back", "2026-10-15 10:00:00", True),
        # 不成立: plan and approval skipped, resolved and called back: closed
        "TS03": ("called_back", None, None, False),
        # received 10-20 14:00, not judged: due 24 h later
        "TS04": ("received", "judged", "2026-10-21 14:00:00", True),
        # an opinion is not judged: resolved 10-16 09:00, callback due 10-19 09:00
        "TS05": ("resolved", "called_back", "2026-10-19 09:00:00", True),
        # a suggestion: resolution due 120 h after 10-25 09:00
        "TS06": ("received", "resolved", "2026-10-30 09:00:00", True),
        # valid, a plan, no approval yet: due 72 h after 10-31 23:59:59 → not overdue on 11-01
        "TS07": ("planned", "approved", "2026-11-03 23:59:59", False),
    }
    # the edge: one second after the deadline is overdue, the deadline itself is not
    at = register(wh, months=["2026-10"], scope=Scope.all(), now=datetime(2026, 10, 21, 14, 0, 0))
    assert not at.set_index("complaint_id").loc["TS04", "overdue"]
    late = register(wh, months=["2026-10"], scope=Scope.all(), now=datetime(2026, 10, 21, 14, 0, 1))
    assert late.set_index("complaint_id").loc["TS04", "overdue"]


def test_the_register_is_scoped_and_masks_phones(wh):
    load(wh)
    # 售后二组 = A2's complaints (TS02 TS06 TS07); TS04 has no agent: its own 华南 / 广州店
    assert set(register(wh, months=["2026-10"], scope=Scope.of(teams=["售后二组"]), now=NOW)["complaint_id"]) == {
        "TS02", "TS06", "TS07"}
    south = register(wh, months=["2026-10"], scope=Scope.of(regions=["华南"]), now=NOW)
    assert set(south["complaint_id"]) == {"TS02", "TS04", "TS06", "TS07"}
    assert register(wh, months=["2026-10"], scope=Scope.of(regions=[]), now=NOW).empty
    phones = register(wh, months=["2026-10"], scope=Scope.all(), now=NOW).set_index("complaint_id")["customer_phone"]
    assert phones["TS01"] == "138****5678"


def test_median_and_p90_hours_to_result_by_hand(wh):
    load(wh)
    frame = register(wh, months=["2026-10"], scope=Scope.all(), now=NOW)
    # resolved: TS03 4 h, TS01 24 h, TS05 24 h, TS02 168 h → median 24; P90 at 0.9 × 3 = 2.7 → 24 + 0.7 × 144
    one = result_hours(frame).iloc[0]
    assert (one.n, one["median"], one.p90) == (4, 24, pytest.approx(124.8))
    by = result_hours(frame, ["department"]).set_index("department")
    assert by.loc["财务部", "median"] == 168 and by.loc["装维部", "n"] == 1


def test_advancing_a_stage_is_checked_audited_and_moves_the_figures(wh):
    load(wh)
    before = compute(wh, ["complaint_valid_rate"], months=["2026-10"], scope=Scope.all())
    assert (before.numerator[0], before.denominator[0]) == (3, 4)
    # out of scope: the same error as a complaint that does not exist
    with pytest.raises(MetricError) as exc:
        advance(wh, "TS04", "judged", {"valid": True, "responsible_department": "装维部"},
                scope=Scope.of(teams=["售后一组"]), user="m1", now=NOW)
    assert exc.value.code == "complaint.not_found"
    with pytest.raises(MetricError) as exc:
        advance(wh, "NOPE", "judged", {"valid": True}, scope=Scope.all(), user="m1", now=NOW)
    assert exc.value.code == "complaint.not_found"
    # only the next stage; a valid complaint needs its department
    for stage, values, code in (("resolved", {"resolved_at": NOW}, "complaint.not_next"),
                                ("judged", {"valid": True}, "complaint.judge_needs_department"),
                                ("judged", {}, "complaint.judge_needs_valid"),
                                ("nonsense", {}, "complaint.not_next")):
        with pytest.raises(MetricError) as exc:
            advance(wh, "TS04", stage, values, scope=Scope.all(), user="m1", now=NOW)
        assert exc.value.code == code, stage
    with wh.connect() as conn:
        loads_before = conn.execute(sa.text("SELECT count(*) FROM load_log")).scalar()
    advance(wh, "TS04", "judged", {"valid": True, "responsible_department": "装维部", "verified": True},
            scope=Scope.of(regions=["华南"]), user="经理甲", now=NOW)
    after = compute(wh, ["complaint_valid_rate", "installer_complaints"], months=["2026-10"], scope=Scope.all())
    # TS04 now judged valid (4 of 5) and verified against 二队 (installer complaints 2 → 3)
    assert (after.numerator[0], after.denominator[0]) == (4, 5) and after.value[1] == 3
    assert rollups.is_current(wh)   # the change moved the data version and the roll-ups with it
    log = history(wh, "TS04")
    assert set(log["column_name"]) == {"valid", "responsible_department", "verified"}
    assert set(log["changed_by"]) == {"经理甲"} and set(log["stage"]) == {"judged"}
    with wh.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM load_log")).scalar() == loads_before + 1
    # plan → approval (the approver is the signed-in user) → resolution → callback
    advance(wh, "TS04", "planned", {"plan": "上门复查"}, scope=Scope.all(), user="经理甲", now=NOW)
    advance(wh, "TS04", "approved", {"approved_by": "someone else"}, scope=Scope.all(), user="主管乙", now=NOW)
    with pytest.raises(MetricError) as exc:   # before the complaint was received
        advance(wh, "TS04", "resolved", {"resolved_at": "2026-10-01 00:00"}, scope=Scope.all(), user="m", now=NOW)
    assert exc.value.code == "complaint.time_out_of_order"
    advance(wh, "TS04", "resolved", {"resolved_at": "2026-10-22 14:00"}, scope=Scope.all(), user="m", now=NOW)
    with pytest.raises(MetricError) as exc:
        advance(wh, "TS04", "called_back", {"post_callback_at": "2026-10-23", "post_satisfaction": "E"},
                scope=Scope.all(), user="m", now=NOW)
    assert exc.value.code == "complaint.bad_grade"
    advance(wh, "TS04", "called_back", {"post_callback_at": "2026-10-23 10:00", "post_satisfaction": "A"},
            scope=Scope.all(), user="m", now=NOW)
    row = register(wh, months=["2026-10"], scope=Scope.all(), now=NOW).set_index("complaint_id").loc["TS04"]
    assert (row.stage, row.approved_by, row.plan) == ("called_back", "主管乙", "上门复查") and pd.isna(row.next_stage)
    # resolved 48 h after receipt; called back and graded A: satisfaction 2 of 3
    f = compute(wh, ["complaint_resolved_rate", "complaint_satisfaction_rate"], months=["2026-10"], scope=Scope.all())
    assert list(zip(f.numerator, f.denominator)) == [(5, 7), (2, 3)]
    assert rollups.is_current(wh)
    assert compute(wh, ["complaint_satisfaction_rate"], months=["2026-10"], scope=Scope.all(),
                   use_rollups=False).numerator[0] == 2


def test_error_messages_are_said_in_both_languages(wh):
    load(wh)
    with pytest.raises(MetricError) as exc:
        advance(wh, "TS01", "judged", {"valid": True}, scope=Scope.all(), user="m", now=NOW)
    assert isinstance(exc.value, DomainError)
    assert "已闭环" in exc.value.render("zh") and "Closed" in exc.value.render("en")


def test_a_load_rejects_a_result_before_receipt_and_unknown_words(wh, tmp_path):
    f = tmp_path / "投诉登记表.csv"
    f.write_text("投诉编号,投诉时间,类型,客户情绪,是否成立,解决时间\n"
                 "A1,2026-10-02 09:00,投诉,愤怒,成立,2026-10-01 09:00\n"
                 "A2,2026-10-02 09:00,咨询,愤怒,成立,\n"
                 "A3,2026-10-02 09:00,建议,暴躁,,\n"
                 "A4,2026-10-02 09:00,意见,平静,不成立,2026-10-03 09:00\n", encoding="utf-8")
    report = load_file(wh, "complaints", f)
    assert (report.rows_inserted, report.rows_rejected) == (1, 3)
    with wh.connect() as conn:
        reasons = [r[0] for r in conn.execute(sa.text("SELECT reason FROM rejects ORDER BY line_no"))]
    assert "解决时间早于投诉时间" in reasons[0]
    assert "咨询" in reasons[1] and "暴躁" in reasons[2]


def test_stage_progress_is_declared_in_order():
    assert progress({"complaint_class": "complaint", "received_at": NOW})[1] == "judged"
    assert progress({"complaint_class": "complaint", "valid": False, "resolved_at": NOW}) == ("resolved", "called_back")
    assert DEFAULTS.complaint_resolve_hours == 120
