"""The company's rules as alerts (alerts/engine.py): every rule kind with a fixture that fires it and
one that does not; once per occurrence; acknowledging and resolving with who and when; a viewer
sees only their scope; the 预警 page."""
from datetime import date

import pandas as pd
import pytest

from alerts import engine
from appraisal.publish import publish
from conftest import FIXTURES
from loaders import load_file
from metrics import Scope
from metrics.targets import Target, save_targets
from reports.pack import PackScope, add_action, set_action_status
from test_appraisal import load_all, streak_inputs
from test_control import thirteen_months

OCT = date(2026, 10, 1)
ALL = PackScope()


def only(wh, kind, **rule):
    """Keep just one rule of ``kind`` (the defaults replaced) and return it as the engine reads it."""
    engine.save_rules(wh, pd.DataFrame([{"rule_id": 1, "kind": kind, "kpi": rule.get("kpi"),
                                         "scope_level": rule.get("scope_level", "all"),
                                         "scope_value": rule.get("scope_value"), "threshold": rule.get("threshold"),
                                         "notify": "", "enabled": True}]), by="admin")
    return engine._rule(engine.rules(wh).iloc[0].to_dict())


def fired(wh, kind, month=OCT, today=date(2026, 11, 2), **rule):
    r = only(wh, kind, **rule)
    return engine.KINDS[kind].evaluate(wh, r, month, today)


@pytest.fixture
def appraisal_wh(duck_wh):
    return load_all(duck_wh)


def test_every_kind_is_declared_with_its_texts():
    import texts

    for k in engine.KINDS:
        for prefix in ("alerts.kind.", "alerts.msg.", "alerts.threshold."):
            assert texts.has(prefix + k), prefix + k
    assert {r["kind"] for r in engine.DEFAULT_RULES} == set(engine.KINDS)


def test_seat_alert_fires_after_three_weeks_five_points_down(duck_wh, tmp_path):
    """Four Mondays of October, 100 calls each: 95 answered, then 89, 88, 89 (6, 7, 6 pp down) → fires;
    95, 89, 92, 89 (the third week only 3 pp down) → does not."""
    def weeks(path, answered):
        lines = ["工单编号,来电时间,渠道,呼叫类型,座席工号,通话结果,振铃时长,通话时长"]
        for w, (day, ok) in enumerate(zip((5, 12, 19, 26), answered)):
            for i in range(100):
                lines.append(f"W{w}{i:03d},2026-10-{day:02d} 09:{i % 60:02d}:00,电话,呼入,A1,"
                             f"{'已接听' if i < ok else '座席未接听'},{5 if i < ok else 30},{60 if i < ok else 0}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    load_file(duck_wh, "tickets", weeks(tmp_path / "a.csv", (95, 89, 88, 89)))
    hit = fired(duck_wh, "seat")
    assert len(hit) == 1 and hit[0].period == "2026-10-26" and hit[0].value == pytest.approx(0.89)
    assert hit[0].page == "staffing"
    load_file(duck_wh, "tickets", weeks(tmp_path / "b.csv", (95, 89, 92, 89)))
    assert fired(duck_wh, "seat") == []


def test_off_target_two_months_running(duck_wh, tmp_path):
    """answer_rate 80 % every month, 60 % in October (test_control's thirteen months).  Target 90 %:
    September 80 % and October 60 % both red → fires; target 70 %: September is green → does not."""
    load_file(duck_wh, "tickets", thirteen_months(tmp_path / "t.csv", 60))
    save_targets(duck_wh, [Target("answer_rate", 0.9, effective_month=date(2025, 1, 1))], "admin")
    hit = fired(duck_wh, "off_target", kpi="answer_rate")
    assert len(hit) == 1 and hit[0].value == pytest.approx(0.6) and hit[0].detail["months"] == 2
    save_targets(duck_wh, [Target("answer_rate", 0.7, effective_month=date(2025, 1, 1))], "admin")
    assert fired(duck_wh, "off_target", kpi="answer_rate") == []


def test_installer_second_strike_red_line_and_callbacks(appraisal_wh):
    """The appraisal fixtures (test_appraisal): 上海店 scored 75 in 2026-10, its second strike in 12
    months → fires, 广州店 not; P3 has a red line in October; installations of 10-05 (上海店, 1 of 2
    called back next day) and 10-06 (广州店, 0 of 1)."""
    units = fired(appraisal_wh, "installer_strike")
    assert [(o.subject, o.value, o.detail["strikes"]) for o in units] == [("上海店", 75, 2)]
    assert fired(appraisal_wh, "installer_strike", threshold=3) == []
    red = fired(appraisal_wh, "red_line")
    assert [o.detail["agent"] for o in red] == ["P3"] and red[0].team
    assert fired(appraisal_wh, "red_line", month=date(2026, 9, 1)) == []
    on_6th = fired(appraisal_wh, "install_callbacks", today=date(2026, 10, 6))   # yesterday = 10-05
    assert [(o.subject, o.value) for o in on_6th] == [("上海店", 0.5)]
    on_7th = fired(appraisal_wh, "install_callbacks", today=date(2026, 10, 7))
    assert [(o.subject, o.value) for o in on_7th] == [("广州店", 0.0)]
    assert fired(appraisal_wh, "install_callbacks", today=date(2026, 10, 9)) == []   # no installs on 10-08


def test_bottom_three_published_months_running(duck_wh, tmp_path):
    streak_inputs(duck_wh, tmp_path)      # P1 last in 2025-11, 2025-12 and 2026-01
    publish(duck_wh, "2025-11", "presales", by="经理")
    publish(duck_wh, "2025-12", "presales", by="经理")
    assert fired(duck_wh, "bottom_streak", month=date(2026, 1, 1)) == []     # January not published yet
    publish(duck_wh, "2026-01", "presales", by="经理")
    assert [o.detail["agent"] for o in fired(duck_wh, "bottom_streak", month=date(2026, 1, 1))] == ["P1"]
    assert fired(duck_wh, "bottom_streak", month=date(2025, 12, 1)) == []    # two months only


def test_overdue_actions(duck_wh):
    a = add_action(duck_wh, "2026-10", ALL, title="早高峰加开座席", owner="张组长", due=date(2026, 10, 20), by="经理")
    hit = fired(duck_wh, "actions_overdue", today=date(2026, 10, 25))
    assert [(o.subject, o.detail["days"]) for o in hit] == [("早高峰加开座席", 5)]
    assert fired(duck_wh, "actions_overdue", today=date(2026, 10, 20)) == []     # due today: not yet
    set_action_status(duck_wh, a, "done", by="张组长")
    assert fired(duck_wh, "actions_overdue", today=date(2026, 10, 25)) == []


def test_once_per_occurrence_scope_acknowledge_resolve_and_history(duck_wh, tmp_path):
    """Two overdue actions, one company-wide and one of 华东; evaluating twice records two alerts once;
    华南's viewer sees neither, 华东's sees its own; acknowledging and resolving record who and when."""
    add_action(duck_wh, "2026-10", ALL, title="公司级", owner="甲", due=date(2026, 10, 1), by="经理")
    add_action(duck_wh, "2026-10", PackScope("region", "华东"), title="华东级", owner="乙", due=date(2026, 10, 1),
               by="经理")
    only(duck_wh, "actions_overdue")
    assert len(engine.evaluate(duck_wh, month=OCT, today=date(2026, 10, 9))) == 2
    assert engine.evaluate(duck_wh, month=OCT, today=date(2026, 10, 10)) == []      # the same occurrences
    assert len(engine.visible(duck_wh, Scope.all())) == 2
    assert engine.visible(duck_wh, Scope.of(regions=["华南"])).empty
    east = engine.visible(duck_wh, Scope.of(regions=["华东"]))
    assert list(east["subject"]) == ["华东级"] and east.iloc[0]["link"] == "/review"
    with pytest.raises(engine.AlertError):      # 华南 cannot touch 华东's alert
        engine.set_status(duck_wh, int(east.iloc[0]["alert_id"]), "acknowledged", by="南", scope=Scope.of(regions=["华南"]))
    a = int(east.iloc[0]["alert_id"])
    engine.set_status(duck_wh, a, "acknowledged", by="东经理", scope=Scope.of(regions=["华东"]))
    engine.set_status(duck_wh, a, "resolved", by="东经理", scope=Scope.of(regions=["华东"]))
    row = engine.visible(duck_wh, Scope.all()).set_index("alert_id").loc[a]
    assert row["status"] == "resolved" and row["acknowledged_by"] == row["resolved_by"] == "东经理"
    assert list(engine.history(duck_wh, a)["action"]) == ["opened", "acknowledged", "resolved"]
    assert engine.evaluate(duck_wh, month=OCT, today=date(2026, 10, 11)) == []      # resolved stays resolved
    assert engine.visible(duck_wh, Scope.all(), ("open",))["subject"].tolist() == ["公司级"]


def test_rules_are_checked_before_they_are_saved(duck_wh):
    rules = engine.rules(duck_wh)
    assert len(rules) == len(engine.DEFAULT_RULES)        # a new warehouse starts with the company's
    bad = pd.DataFrame([{"rule_id": None, "kind": "off_target", "kpi": None, "scope_level": "all",
                         "scope_value": None, "threshold": None, "notify": "", "enabled": True}])
    with pytest.raises(engine.AlertError) as err:
        engine.save_rules(duck_wh, bad, by="admin")
    assert err.value.message.code == "alerts.needs_kpi"
    assert "需要指定指标" in err.value.message.render("zh")
    assert len(engine.rules(duck_wh)) == len(engine.DEFAULT_RULES)      # nothing saved


def test_the_alerts_page_lists_acknowledges_and_links(tmp_path, monkeypatch):
    from test_app import app
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    for kind in ("roster", "tickets", "callbacks", "sales"):
        load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv")
    add_action(wh, "2026-10", ALL, title="早高峰加开座席", owner="张组长", due=date(2026, 10, 20), by="经理")
    only(wh, "actions_overdue")
    wh.dispose()
    at = app(db, monkeypatch, "pages/alerts.py", **{"from": "2026-10", "to": "2026-10"})
    at.button(key="alerts.check").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "内容" in d.value.columns)
    assert len(table) == 1 and "早高峰加开座席" in table["内容"].iloc[0] and table["状态"].iloc[0] == "待处理"
    assert table["证据"].iloc[0] == "/review"
    at.button(key="alerts.set.acknowledged").click().run()
    table = next(d.value for d in at.dataframe if "内容" in d.value.columns)
    assert table["状态"].iloc[0] == "已确认" and table["确认人 / 时间"].iloc[0]
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert list(history["操作"]) == ["发生", "确认"]


def test_key_customer_not_called_back_fires_after_its_due_day(duck_wh):
    from test_worklists import load as load_worklists

    load_worklists(duck_wh)
    # W03: a key customer's ticket resolved 10-31 23:59:59, due by 11-03, never called back
    assert fired(duck_wh, "key_callbacks", today=date(2026, 11, 3)) == []
    got = fired(duck_wh, "key_callbacks", today=date(2026, 11, 4))
    assert [(o.occurrence, o.subject, o.store) for o in got] == [("key_callbacks|W03", "V2", "广州店")]
    assert engine.describe({"kind": "key_callbacks", "detail": '{"customer": "V2", "ticket": "W03", "due": "2026-11-03"}',
                            "value": None}) == "重点客户 V2（工单 W03）须在 2026-11-03 前回访，至今没有回访"


def test_a_line_whose_complaints_fell_four_weeks_running_fires(duck_wh, tmp_path):
    from metrics.settings import save_settings

    # weeks W40…W44 (09-28 … 11-01): line L1 4, 3, 2, 1, 0 complaints; L2 4, 3, 3, 1, 0 (W42 did not fall)
    rows, n = [], 0
    for line, counts in (("L1", (4, 3, 2, 1, 0)), ("L2", (4, 3, 3, 1, 0))):
        for week, count in enumerate(counts):
            for _ in range(count):
                n += 1
                rows.append(f"C{n},{date(2026, 9, 28).toordinal() + 7 * week}")
    f = tmp_path / "lines.csv"
    f.write_text("投诉编号,投诉时间,投诉热线\n" + "".join(
        f"{cid},{date.fromordinal(int(day)).isoformat()} 10:00:00,{line}\n"
        for (cid, day), line in zip((r.split(",") for r in rows), ["L1"] * 10 + ["L2"] * 11)), encoding="utf-8")
    assert load_file(duck_wh, "complaints", f).rows_rejected == 0
    save_settings(duck_wh, {"line_drop_per_week": 1}, user="admin")
    got = fired(duck_wh, "complaint_line", today=date(2026, 11, 2))    # the last full week: W44
    assert [(o.subject, o.period) for o in got] == [("L1", "2026-W44")]
    save_settings(duck_wh, {"line_drop_per_week": 2}, user="admin")
    assert fired(duck_wh, "complaint_line", today=date(2026, 11, 2)) == []
