"""A load is atomic per file, and the CLI and a reading dashboard share the DuckDB file.

The SIGKILL tests run on DuckDB (one transaction) and on chDB (ClickHouse has no transaction: the
load is staged, committed by one rename and applied, ``warehouse/staging.py``; a killed load is
finished or undone when the folder is opened again)."""
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from conftest import FIXTURES, ROOT
from loaders import load_file
from metrics import Scope, compute, rollups
from warehouse import open_warehouse


def big_tickets(path, n=150_000):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("话单ID,来电时间,渠道,通话结果,座席工号,振铃时长,通话时长\n")
        for i in range(n):
            fh.write(f"B{i},2026-10-{1 + i % 28:02d} 10:{i % 60:02d}:00,电话,已接听,1001,{i % 20},{60 + i % 300}\n")
    return path


def snapshot(db):
    wh = open_warehouse(db)
    with wh.connect() as conn:
        out = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
               for t in ("tickets", "rejects", "load_log")}
        out["t01"] = conn.execute(sa.text("SELECT talk_seconds FROM tickets WHERE ticket_id = 'T01'")).scalar()
        # the roll-ups: their state, and every row of the tickets roll-up, with the facts
        out["rollups"] = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT name, fingerprint, first_month, last_month, data_version FROM rollups")))
        out["rollup_rows"] = sorted(tuple(map(str, r)) for r in conn.execute(sa.text("SELECT * FROM rollup_tickets_full")))
    wh.dispose()
    return out


def start_loader(db, path, **env):
    return subprocess.Popen([sys.executable, "-m", "loaders", "--db", db, "load", "tickets", str(path)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "loader never reached the commit point"
        time.sleep(0.05)


ENGINES = ("duckdb", "chdb")


def _db(tmp_path, engine: str) -> str:
    return str(tmp_path / "w.duckdb") if engine == "duckdb" else f"chdb://{tmp_path / 'w.chdb'}"


@pytest.mark.parametrize("engine", ENGINES)
def test_sigkill_inside_the_transaction_leaves_the_warehouse_as_before(tmp_path, engine):
    db = _db(tmp_path, engine)
    wh = open_warehouse(db)
    rollups.build(wh)
    load_file(wh, "tickets", FIXTURES / "tickets_basic.csv")
    assert rollups.is_current(wh)
    wh.dispose()
    before = snapshot(db)
    assert before["rollup_rows"]
    marker = tmp_path / "in-transaction"
    # the re-export would replace T01 (talk 200) and add rows: killed before commit, none of it lands
    proc = start_loader(db, big_tickets(tmp_path / "big.csv"), CSDASH_TEST_PAUSE_BEFORE_COMMIT=str(marker))
    wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(db) == before
    # and the same file loads completely afterwards
    assert start_loader(db, tmp_path / "big.csv").wait() == 0
    after = snapshot(db)
    assert after["tickets"] == before["tickets"] + 150_000 and after["load_log"] == before["load_log"] + 1
    # the roll-ups moved with the facts in that load, and answer as the facts do
    wh = open_warehouse(db)
    assert rollups.is_current(wh) and after["rollup_rows"] != before["rollup_rows"]
    fast = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("agent",), scope=Scope.all())
    slow = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("agent",), scope=Scope.all(),
                   use_rollups=False)
    assert fast.equals(slow) and fast["numerator"].sum() > 150_000
    wh.dispose()


@pytest.mark.parametrize("engine", ENGINES)
def test_sigkill_at_any_moment_leaves_all_or_nothing(tmp_path, engine):
    db = _db(tmp_path, engine)
    wh = open_warehouse(db)
    rollups.build(wh)
    wh.dispose()
    path = big_tickets(tmp_path / "big.csv")
    # deliberately arbitrary kill moments (a chDB loader takes longer to start)
    for delay in (0.5, 1.5, 3.0) if engine == "duckdb" else (1.0, 2.0, 2.5, 3.0, 3.5, 5.0):
        proc = start_loader(db, path)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = snapshot(db)
        assert state["tickets"] in (0, 150_000)
        assert state["load_log"] == (1 if state["tickets"] else 0)
        # facts and roll-ups together: the roll-up counts exactly the tickets there are, and is current
        assert sum(int(r[8]) for r in state["rollup_rows"]) == state["tickets"]   # month, 7 dims, fact_rows
        assert [r[-1] for r in state["rollups"]] == [state["load_log"]] * len(state["rollups"])
        if state["tickets"]:
            break


def test_sigkill_after_the_commit_step_on_clickhouse_is_finished_on_open(tmp_path):
    """ClickHouse: killed after the load's commit step and before it was applied, the load is finished
    when the folder is next opened — facts, rejects, log and roll-ups as after a whole load."""
    db = _db(tmp_path, "chdb")
    wh = open_warehouse(db)
    rollups.build(wh)
    load_file(wh, "tickets", FIXTURES / "tickets_basic.csv")
    wh.dispose()
    before = snapshot(db)
    marker = tmp_path / "committed"
    proc = start_loader(db, big_tickets(tmp_path / "big.csv"), CSDASH_TEST_PAUSE_AFTER_COMMIT=str(marker))
    wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = snapshot(db)
    assert after["tickets"] == before["tickets"] + 150_000 and after["load_log"] == before["load_log"] + 1
    assert after["rollup_rows"] != before["rollup_rows"]
    assert [r[-1] for r in after["rollups"]] == [before["load_log"] + 1] * len(after["rollups"])
    wh = open_warehouse(db)
    try:
        fast = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("agent",), scope=Scope.all())
        slow = compute(wh, ["contacts", "answer_rate"], months=["2026-10"], dims=("agent",), scope=Scope.all(),
                       use_rollups=False)
        assert rollups.is_current(wh) and fast.equals(slow) and fast["numerator"].sum() > 150_000
        with wh.connect() as conn:   # nothing private is left
            assert not conn.execute(sa.text("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                            "AND startsWith(name, '_')")).all()
    finally:
        wh.dispose()


def test_cli_load_waits_for_a_reader_and_the_reader_sees_new_data(tmp_path):
    db = str(tmp_path / "w.duckdb")
    open_warehouse(db).dispose()
    marker = tmp_path / "holding"
    # another process (the dashboard) holds the file for a while
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, pathlib, time\n"
        f"c = duckdb.connect({db!r}); pathlib.Path({str(marker)!r}).write_text('x'); time.sleep(2); c.close()")])
    wait_for(marker, holder)
    res = subprocess.run([sys.executable, "-m", "loaders", "--db", db, "load", "tickets",
                          str(FIXTURES / "tickets_basic.csv")], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    holder.wait()
    assert res.returncode == 0, res.stderr
    # a reader that arrives while a load is committing waits for it, then sees the new data
    marker2 = tmp_path / "loading"
    proc = start_loader(db, FIXTURES / "tickets_reexport.csv", CSDASH_TEST_PAUSE_BEFORE_COMMIT=str(marker2),
                        CSDASH_TEST_PAUSE_SECONDS="1.5")
    wait_for(marker2, proc)
    wh = open_warehouse(db, create=False)
    assert wh.data_version() == 2
    assert proc.wait() == 0
    wh.dispose()
