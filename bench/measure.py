"""What a benchmark figure is, how it is timed, and the machine it ran on.

Every figure is ours beside a baseline measured in the same run, on the same files, so the
ratio — not the seconds — is what carries over to another machine.  A few goals are absolute
(the Excel load, the page rerun, peak memory); those say so and have no baseline.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    group: str                 # 导入 load / 查询 query / 页面 page / 内存 memory
    name: str
    ours: float
    unit: str                  # "s" or "MB"
    baseline: str = ""         # what ours is compared with
    base: float | None = None
    goal: str = ""             # as the issue states it
    check: Callable[["Figure"], bool] | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.ours / self.base if self.base else None

    @property
    def ok(self) -> bool | None:
        return None if self.check is None else bool(self.check(self))

    def row(self) -> dict:
        return {"group": self.group, "name": self.name, "ours": self.ours, "unit": self.unit,
                "baseline": self.baseline, "base": self.base, "ratio": self.ratio, "goal": self.goal,
                "ok": self.ok, "note": self.note}


def at_most(limit: float) -> Callable[[Figure], bool]:
    """ours / base ≤ limit."""
    return lambda f: f.ratio is not None and f.ratio <= limit


def faster_by(factor: float) -> Callable[[Figure], bool]:
    """base / ours ≥ factor."""
    return lambda f: f.ratio is not None and f.ratio <= 1 / factor


def under(limit: float) -> Callable[[Figure], bool]:
    return lambda f: f.ours < limit


def best_of(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Least wall time of ``repeat`` calls (after the caller's warm-up), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run_child(*args: str, timeout: float = 4 * 3600) -> dict:
    """``python -m bench <args>`` in a fresh process (its own peak RSS); the JSON it prints last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"bench {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """Peak resident set of this process so far: VmHWM, which starts afresh at exec (getrusage's
    ru_maxrss does not: a child started by a big parent would report the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    """The machine, as docs/benchmarks.md describes it."""
    import duckdb
    import pandas
    import sqlalchemy
    import streamlit

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    disk = subprocess.run(["df", "-h", str(ROOT)], capture_output=True, text=True).stdout.splitlines()[-1:]
    return {
        "cpu": cpu or platform.processor(), "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "duckdb": duckdb.__version__, "pandas": pandas.__version__, "sqlalchemy": sqlalchemy.__version__,
        "streamlit": streamlit.__version__, "disk": disk[0] if disk else "",
    }
