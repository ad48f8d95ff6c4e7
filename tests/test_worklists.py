"""Callback worklists (issue 19, point 4), counted by hand on ``fixtures/worklists``: key customers
within 3 days of a resolved after-sales ticket, installations by the end of the next day, both on
month and day boundaries; the courtesy check's rest hours at the second — on DuckDB and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from conftest import FIXTURES
from loaders import load_file
from metrics import Scope
from metrics.settings import rest_windows, with_overrides, load_settings
from metrics.worklists import coverage, courtesy, due

W = FIXTURES / "worklists"


def load(wh):
    assert load_file(wh, "roster", FIXTURES / "metrics" / "roster.csv").rows_rejected == 0
    for kind in ("tickets", "callbacks", "key_customers"):
        assert load_file(wh, kind, W / f"{kind}.csv").rows_rejected == 0, kind


def statuses(frame):
    return dict(zip(frame["ticket_id"], zip(frame["due_day"].astype(str), frame["status"])))


def test_key_customers_within_three_days_on_the_boundaries(wh):
    load(wh)
    got = due(wh, "key_customers", months=["2026-10"], scope=Scope.all(), today=date(2026, 11, 1))
    assert statuses(got) == {
        # resolved 10-02, called back 10-05 = the third day: on time
        "W01": ("2026-10-05", "on_time"),
        # resolved 10-10, first callback 10-14: a day late
        "W02": ("2026-10-13", "late"),
        # resolved 10-31 23:59:59 (October's last second), no callback yet: due until 11-03
        "W03": ("2026-11-03", "due"),
    }   # W04 is not a key customer, W05 is pre-sales, W06 was resolved in September
    assert coverage(got) == (1, 2)     # W03 is still within its window
    assert statuses(due(wh, "key_customers", months=["2026-10"], scope=Scope.all(), today=date(2026, 11, 3)))["W03"][1] == "due"
    assert statuses(due(wh, "key_customers", months=["2026-10"], scope=Scope.all(), today=date(2026, 11, 4)))["W03"][1] == "overdue"
    # the trigger is a setting: any resolved ticket adds W05 (resolved 10-06, called back 10-07)
    anyone = with_overrides(load_settings(wh), key_customer_trigger="any_resolved")
    got = due(wh, "key_customers", months=["2026-10"], scope=Scope.all(), settings=anyone, today=date(2026, 11, 1))
    assert statuses(got)["W05"] == ("2026-10-09", "on_time") and len(got) == 4
    # September holds W06 only (resolved 09-30 23:59:59, its first callback 10-02: on time)
    assert statuses(due(wh, "key_customers", months=["2026-09"], scope=Scope.all(), today=date(2026, 11, 1))) == {
        "W06": ("2026-10-03", "on_time")}
    # overdue first, then due, late, on time
    assert list(due(wh, "key_customers", months=["2026-10"], scope=Scope.all(), today=date(2026, 11, 4))["status"]) == [
        "overdue", "late", "on_time"]
    assert got.set_index("ticket_id").loc["W01", "customer_phone"] == "139****1111"


def test_installations_by_the_end_of_the_next_day(wh):
    load(wh)
    got = due(wh, "installations", months=["2026-10"], scope=Scope.all(), today=date(2026, 11, 1))
    assert statuses(got) == {
        "I01": ("2026-11-01", "on_time"),   # done 10-31 20:00, called back 11-01: the next day, a month later
        "I02": ("2026-10-31", "overdue"),   # done 10-30, nothing by 10-31
        "I03": ("2026-11-01", "due"),       # done 10-31, today is its last day
        "I04": ("2026-10-16", "late"),      # done 10-15, called back 10-17
    }
    assert coverage(got) == (1, 3)
    assert set(due(wh, "installations", months=["2026-10"], scope=Scope.of(teams=["售后二组"]),
                   today=date(2026, 11, 1))["ticket_id"]) == {"I03", "I04"}
    assert due(wh, "installations", months=["2026-10"], scope=Scope.of(regions=[]), today=date(2026, 11, 1)).empty


def test_courtesy_check_counts_rest_hours_at_the_second(wh):
    load(wh)
    rows, total = courtesy(wh, months=["2026-10"], scope=Scope.all())
    # October's 9 callbacks; in 12:00–14:00 or 21:00–08:00: R04 12:30, R05 13:59:59, R07 21:00, R08 07:59
    # (R06 14:00, R09 08:00 and R10 20:59 are outside; R03 is November's)
    assert total == 9 and set(rows["callback_id"]) == {"R04", "R05", "R07", "R08"}
    tight = with_overrides(load_settings(wh), rest_hours="13:00-14:00")
    rows, _ = courtesy(wh, months=["2026-10"], scope=Scope.all(), settings=tight)
    assert set(rows["callback_id"]) == {"R05"}


@pytest.mark.parametrize("text, windows", [("12:00-14:00,21:00-08:00", [(720, 840), (1260, 480)]),
                                            ("22:00-24:00", [(1320, 1440)]), ("", [])])
def test_rest_windows_parse(text, windows):
    assert rest_windows(text) == windows


@pytest.mark.parametrize("bad", ["12-14", "25:00-26:00", "12:00-12:00", "午休"])
def test_rest_windows_refuse_what_they_cannot_read(bad):
    with pytest.raises(ValueError):
        rest_windows(bad)
