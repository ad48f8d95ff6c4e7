"""Where a load spends its time: ``python -m bench profile FILE [--kind tickets] [--roster R]``.

pyinstrument's call tree of one load, then every scratch-database statement that took longer than
0.1 s (a load is a handful of big SQL statements, so the statement list says more than the tree).
This is how the before/after of docs/benchmarks.md was found.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import loaders.readers as readers


class _TimedConnection:
    """A scratch connection that records how long each statement took."""

    def __init__(self, con, log: list):
        self._con, self._log = con, log

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args):
        t0 = time.perf_counter()
        result = self._con.execute(sql, *args)
        self._log.append((time.perf_counter() - t0, " ".join(str(sql).split())[:110]))
        return result


def profile_load(file: str, kind: str = "tickets", roster: str | None = None) -> str:
    from pyinstrument import Profiler

    from loaders.pipeline import load_file
    from warehouse import open_warehouse

    statements: list[tuple[float, str]] = []
    plain = readers.new_scratch
    readers.new_scratch = lambda *a: _TimedConnection(plain(*a), statements)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wh = open_warehouse(str(Path(tmp) / "profile.duckdb"))
            if roster:
                load_file(wh, "roster", roster, user="bench")
            statements.clear()
            profiler = Profiler(interval=0.01)
            profiler.start()
            report = load_file(wh, kind, file, user="bench")
            profiler.stop()
            wh.dispose()
    finally:
        readers.new_scratch = plain
    slow = "\n".join(f"{s:7.2f} s  {sql}" for s, sql in statements if s >= 0.1)
    return (f"{report.summary()}\n\n{profiler.output_text(unicode=True, color=False)}\n"
            f"scratch 中超过 0.1 秒的语句：\n{slow}\n")
