"""The loaders CLI as a user runs it, as subprocesses."""
import csv
import io
import os
import subprocess
import sys

import pytest

from loaders.schema import SCHEMAS

from conftest import FIXTURES, ROOT


def cli(*args, env=None, check=False):
    run_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "loaders", *args], capture_output=True, text=True,
                          cwd=ROOT, env=run_env, check=check, timeout=300)


def test_load_prints_one_line_per_file(db):
    res = cli("--db", db, "load", "roster", str(FIXTURES / "roster.csv"))
    assert res.returncode == 0, res.stderr
    res = cli("--db", db, "load", "tickets", str(FIXTURES / "tickets_basic.csv"), str(FIXTURES / "tickets_reexport.csv"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("tickets_basic.csv [tickets]: 读取 14 行，新增 8，替换 0，拒收 3，跳过 2")
    assert "新增 1，替换 1" in lines[1]


def test_file_error_exits_2_and_names_the_column(db, tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text("话单ID,渠道\nT1,电话\n", encoding="utf-8")
    res = cli("--db", db, "load", "tickets", str(bad))
    assert res.returncode == 2
    assert "calls.csv" in res.stderr and "created_at" in res.stderr and "来电时间" in res.stderr
    assert "文件中找到的表头：话单ID、渠道" in res.stderr


def test_strict_and_unreadable(db, tmp_path):
    assert cli("--db", db, "load", "tickets", str(FIXTURES / "tickets_basic.csv"), "--strict").returncode == 2
    res = cli("--db", db, "load", "tickets", str(tmp_path / "missing.csv"))
    assert res.returncode == 2 and "文件不存在" in res.stderr


def test_bad_arguments_exit_2(db):
    res = cli("--db", db, "load", "calls", "x.csv")
    assert res.returncode == 2 and "tickets" in res.stderr


def test_log_and_rejects_round_trip(db, tmp_path):
    cli("--db", db, "load", "roster", str(FIXTURES / "roster.csv"), check=True)
    cli("--db", db, "load", "sales", str(FIXTURES / "sales_basic.csv"), check=True)
    log = list(csv.DictReader(io.StringIO(cli("--db", db, "log", check=True).stdout)))
    assert [(r["kind"], r["file"], r["rejected"]) for r in log] == [("roster", "roster.csv", "0"),
                                                                  ("sales", "sales_basic.csv", "2")]
    out = cli("--db", db, "rejects", "--file", "sales_basic.csv", check=True).stdout
    got = list(csv.DictReader(io.StringIO(out)))
    assert [r["原行号"] for r in got] == ["6", "7"]
    assert got[0]["买家实际支付金额"] == "abc" and got[1]["订单状态"] == "神秘状态"
    assert got[0]["订单编号"] == "9005"
    # fix the rows and load them again: the rejects file is itself a loadable export
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(out.replace("abc", "66").replace("神秘状态", "交易成功"), encoding="utf-8")
    res = cli("--db", db, "load", "sales", str(fixed), check=True)
    assert "新增 2，替换 0，拒收 0" in res.stdout


def test_rejects_are_formula_safe(db, tmp_path):
    f = tmp_path / "evil.csv"
    f.write_text('订单编号,下单时间,实付金额\n=HYPERLINK("x"),2026-10-01,abc\n', encoding="utf-8")
    res = cli("--db", db, "load", "sales", str(f))
    assert res.returncode == 3 and "WARNING" in res.stderr   # its one row rejected: loud, exit 3
    out = cli("--db", db, "rejects", check=True).stdout
    assert "'=HYPERLINK" in out


def test_demo_loads_every_kind(tmp_path):
    db = str(tmp_path / "demo.duckdb")
    res = cli("--db", db, "demo", "--months", "2", "--end-month", "2026-10", "--out", str(tmp_path / "demo"))
    assert res.returncode == 0, res.stderr
    kinds = [line.split("[")[1].split("]")[0] for line in res.stdout.strip().splitlines()]
    assert kinds == ["roster", "tickets", "callbacks", "sales", "scorecard_inputs", "installer_scores", "complaints",
                     "key_customers", "stores", "store_targets", "store_audits", "inventory_snapshots", "receivables",
                     "campaigns"]
    assert set(kinds) == set(SCHEMAS)   # every kind the demo can show
    assert all("拒收" in line for line in res.stdout.splitlines())
    files = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert any(n.endswith(".xlsx") for n in files) and any(n.endswith(".csv") for n in files)
    tickets_csv = next((tmp_path / "demo").glob("通话工单_*.csv")).read_bytes()
    tickets_csv.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        tickets_csv.decode("utf-8")          # really GBK, as the vendors export it
    again = cli("--db", db, "demo", "--if-empty", "--months", "2", "--out", str(tmp_path / "demo"))
    assert again.returncode == 0 and "未导入演示数据" in again.stdout


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    """A bar over files × steps when stdout is a terminal; nothing extra when piped."""
    from loaders.__main__ import _progress

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    bar, step = _progress(2)
    assert bar is None
    step("读取文件")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    bar, step = _progress(2)
    assert bar is not None and bar.total == 10 and bar.unit == "步"
    step("读取文件")
    step("映射表头")
    assert bar.n == 2
    bar.close()


def test_vendor_file_with_a_profile_warnings_and_open_rejects(db, tmp_path):
    """Issue 15 from the command line: a profile imported from TOML, loud loads on stderr, exit 3 at
    half rejected, reload after a fix, open rejects only unless --all."""
    vendor = FIXTURES / "vendor"
    res = cli("--db", db, "profiles", "import", "银行 通话记录", str(vendor / "bank_calls.toml"))
    assert res.returncode == 0 and "银行 通话记录" in res.stdout, res.stderr
    assert "银行 通话记录,tickets" in cli("--db", db, "profiles", "list").stdout
    assert 'value = "phone"' in cli("--db", db, "profiles", "export", "银行 通话记录").stdout
    res = cli("--db", db, "load", "tickets", str(vendor / "bank_calls.tsv"), "--profile", "银行 通话记录")
    assert res.returncode == 0 and "WARNING" not in res.stderr, res.stderr
    assert "银行 通话记录,tickets" in cli("--db", db, "profiles", "list").stdout
    both = cli("--db", db, "load", "tickets", "x.csv", "--profile", "p", "--mapping", "m.toml")
    assert both.returncode == 2 and "--profile" in both.stderr
    unknown = cli("--db", db, "load", "tickets", str(vendor / "bank_calls.tsv"), "--profile", "nope")
    assert unknown.returncode == 2 and "银行 通话记录" in unknown.stderr

    f = tmp_path / "half.csv"
    f.write_text("订单编号,下单时间,实付金额\nS1,2026-10-01,abc\nS2,2026-10-01,10\n", encoding="utf-8")
    res = cli("--db", db, "--lang", "en", "load", "sales", str(f))
    assert res.returncode == 3 and "WARNING: 50.0% of the rows (1) were rejected" in res.stderr
    assert "S1" in cli("--db", db, "rejects").stdout
    f.write_text("订单编号,下单时间,实付金额\nS1,2026-10-01,11\nS2,2026-10-01,10\n", encoding="utf-8")
    res = cli("--db", db, "load", "sales", str(f))
    assert res.returncode == 0 and "解决旧拒收 1" in res.stdout
    assert "S1" not in cli("--db", db, "rejects").stdout and "S1" in cli("--db", db, "rejects", "--all").stdout
    assert "未做任何改动" in cli("--db", db, "load", "sales", str(f)).stdout   # same file, same mapping
    again = cli("--db", db, "load", "sales", str(f), "--force")
    assert again.returncode == 0 and "替换 2" in again.stdout
