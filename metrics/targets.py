"""Targets per KPI and red / amber / green.

A target applies globally (level ``all``) or to one region, store or team, from an effective month
on; the most specific level that matches a figure's own dimensions wins, and within a level the
latest effective month not after the figure's month.  The store targets export (``store_targets``:
a business target decomposed to each store and month) adds store-level targets in force for their
month only (``month_only``), which win over a standing store target of the same month.  The spec's defaults apply globally until a
stored global target replaces them.

Status by direction: ↑ green when value ≥ target, amber when within ``amber_band`` below it, red
beyond; ↓ the mirror image; grey when the value is empty or the KPI has no target.  When a target
has no band: 2 percentage points for rates, 5 % of the target otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
import math
from pathlib import Path
import re
from typing import Iterable

import pandas as pd
import sqlalchemy as sa

from metrics.errors import MetricError
from metrics.months import month_key, parse_month
from metrics.registry import BY_KEY, Direction, Unit
import texts
from texts import Join, Message
from warehouse.safety import xlsx_bytes

LEVELS = ("all", "region", "store", "team")   # their words: catalog texts level.<level>
# the targets file's 范围 column: the level's Chinese word (the template's language), its id, or a synonym
_LEVEL_WORDS = {**{texts.text(f"level.{k}"): k for k in LEVELS}, **{k: k for k in LEVELS}, "全公司": "all", "全局": "all"}
SPECIFICITY = ("team", "store", "region", "all")   # most specific first
DEFAULT_SINCE = date(2000, 1, 1)

# kpis.md "Targets and colours"
DEFAULT_TARGETS = {
    "answer_within_3_rings_rate": 0.90,
    "answer_rate": 0.95,
    "abandon_rate": 0.05,
    "satisfaction_rate": 0.90,
    "callback_coverage_rate": 1.00,
    "long_hold_rate": 0.05,
}
STATUSES = ("green", "amber", "red", "grey")


@dataclass(frozen=True)
class Target:
    kpi: str
    target: float
    level: str = "all"
    scope_value: str | None = None
    effective_month: date = DEFAULT_SINCE
    amber_band: float | None = None
    month_only: bool = False          # from the store targets export: in force in effective_month only

    @property
    def band(self) -> float:
        if self.amber_band is not None:
            return self.amber_band
        return 0.02 if BY_KEY[self.kpi].unit.is_rate else abs(self.target) * 0.05


def _levels() -> Join:
    return Join([Message(f"level.{k}") for k in LEVELS], " / ")


def check_target(t: Target) -> list[Message]:
    """Every problem of one target (empty when it is fine)."""
    problems = []
    m = BY_KEY.get(t.kpi)
    if m is None:
        return [Message("target.unknown_kpi", kpi=t.kpi)]
    label = Message(f"kpi.{m.key}")
    if m.direction is Direction.NONE:
        problems.append(Message("target.volume", label=label, kpi=m.key))
    if t.level not in LEVELS:
        problems.append(Message("target.bad_level", level=t.level, levels=_levels()))
    elif (t.level == "all") != (t.scope_value in (None, "")):
        problems.append(Message("target.object"))
    if not isinstance(t.target, (int, float)) or math.isnan(t.target):
        problems.append(Message("target.not_number", value=t.target))
    elif m.unit.is_rate and not 0 <= t.target <= 1:
        problems.append(Message("target.rate_range", label=label, value=f"{t.target:g}"))
    elif m.unit is not Unit.POINTS and t.target < 0:
        problems.append(Message("target.negative", label=label))
    if t.amber_band is not None and (math.isnan(t.amber_band) or t.amber_band < 0):
        problems.append(Message("target.bad_band", band=t.amber_band))
    return problems


def default_targets() -> list[Target]:
    return [Target(k, v) for k, v in DEFAULT_TARGETS.items()]


def load_targets(wh) -> list[Target]:
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT kpi, target, level, scope_value, effective_month, amber_band FROM targets")).fetchall()
    stored = [Target(r[0], float(r[1]), r[2], r[3], r[4], None if r[5] is None else float(r[5])) for r in rows]
    return default_targets() + stored + store_targets(wh)[0]


def store_targets(wh) -> tuple[list[Target], list[Message]]:
    """The loaded store targets export as targets (store level, their month only), and a problem for
    each row that cannot be one (a volume KPI, a rate above 100 %…): shown where they are used, never
    silently dropped.  The loader already refused rows whose target is not a number or KPI unknown."""
    with wh.connect() as conn:
        rows = conn.execute(sa.text("SELECT month, store, kpi, target, amber_band FROM store_targets"
                                    " ORDER BY month, store, kpi")).fetchall()
    out, problems = [], []
    for month, store, kpi, value, band in rows:
        try:
            rate = BY_KEY[kpi].unit.is_rate
            t = Target(kpi, _number(value, rate), "store", store, month,
                       None if band is None else _number(band, rate), month_only=True)
        except (KeyError, ValueError):
            problems.append(Message("target.store_row", store=store, month=month_key(month), kpi=kpi,
                                    problem=Message("target.not_number", value=value)))
            continue
        found = check_target(t)
        problems += [Message("target.store_row", store=store, month=month_key(month), kpi=kpi, problem=p) for p in found]
        if not found:
            out.append(t)
    return out, problems


def save_targets(wh, targets: Iterable[Target], user: str) -> int:
    """Check all (every problem in one MetricError), then upsert by (kpi, level, object, month)."""
    targets = list(targets)
    problems = [Message("target.item", i=i, kpi=t.kpi, problem=p) for i, t in enumerate(targets, 1)
                for p in check_target(t)]
    if problems:
        raise MetricError("target.not_saved", problems=problems)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        for t in targets:
            key = {"k": t.kpi, "l": t.level, "s": t.scope_value or "", "m": t.effective_month}
            conn.execute(sa.text("DELETE FROM targets WHERE kpi = :k AND level = :l AND COALESCE(scope_value, '') = :s"
                                 " AND effective_month = :m"), key)
            conn.execute(sa.text(
                "INSERT INTO targets (kpi, level, scope_value, effective_month, target, amber_band, updated_by, updated_at)"
                " VALUES (:k, :l, :sv, :m, :t, :b, :u, :at)"),
                key | {"sv": t.scope_value or None, "t": float(t.target), "b": t.amber_band, "u": user, "at": now})
    return len(targets)


def delete_target(wh, t: Target) -> None:
    with wh.begin() as conn:
        conn.execute(sa.text("DELETE FROM targets WHERE kpi = :k AND level = :l AND COALESCE(scope_value, '') = :s"
                             " AND effective_month = :m"),
                     {"k": t.kpi, "l": t.level, "s": t.scope_value or "", "m": t.effective_month})


# ------------------------------------------------------------------ applying targets
def pick(targets: list[Target], kpi: str, month: date, dims: dict[str, str | None]) -> Target | None:
    """The target in force for one figure: most specific matching level, latest effective month ≤ month."""
    for level in SPECIFICITY:
        if level != "all" and not dims.get(level):
            continue
        found = [t for t in targets if t.kpi == kpi and t.level == level and t.effective_month <= month
                 and (not t.month_only or t.effective_month == month)
                 and (level == "all" or t.scope_value == dims[level])]
        if found:
            return max(found, key=lambda t: (t.effective_month, t.month_only))
    return None


def status(value: float | None, target: Target | None) -> str:
    if target is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return "grey"
    direction = BY_KEY[target.kpi].direction
    gap = (value - target.target) if direction is Direction.UP else (target.target - value)
    eps = 1e-12
    if gap >= -eps:
        return "green"
    return "amber" if gap >= -target.band - eps else "red"


def attach(result: pd.DataFrame, targets: list[Target], as_of: str | date | None = None) -> pd.DataFrame:
    """Add ``target``, ``amber_band`` and ``status`` to a ``compute`` result (one row per figure).

    Without a month column, targets in force in ``as_of`` (the last month of the range) apply."""
    out = result.copy()
    dims = [d for d in ("region", "store", "team") if d in out.columns]
    picked = []
    for row in out.to_dict("records"):
        month = parse_month(row["month"]) if "month" in row else parse_month(as_of or date.today())
        picked.append(pick(targets, row["kpi"], month, {d: row[d] for d in dims if isinstance(row[d], str)}))
    out["target"] = [t.target if t else math.nan for t in picked]
    out["amber_band"] = [t.band if t else math.nan for t in picked]
    out["status"] = [status(v, t) for v, t in zip(out["value"], picked)]
    return out


# ------------------------------------------------------------------ Excel import / template
TEMPLATE_COLUMNS = ("指标", "范围", "对象", "生效月份", "目标", "黄色区间")
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


def _number(value, rate: bool) -> float:
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if m:
            return float(m.group(1)) / 100
        value = float(value.replace(",", "").replace("¥", "").replace("￥", "").strip())
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value / 100 if rate and 1 < value <= 100 else value   # "90" for a rate means 90 %


def _kpi_of(word) -> str | None:
    text = str(word).strip()
    if text in BY_KEY:
        return text
    for m in BY_KEY.values():
        if text in (m.label, m.label_in("en")) or text in m.label.split("/"):
            return m.key
    return None


def read_targets_excel(path: str | Path, sheet: str | int = 0,
                       known: dict[str, set[str]] | None = None) -> list[Target]:
    """Targets from a sheet with the template's columns; every bad row reported at once, by row number.
    With ``known`` (``known_scope_values``), a region, store or team the data does not know is refused."""
    try:
        frame = pd.read_excel(path, sheet_name=sheet, engine="calamine", dtype=object)
    except Exception as exc:  # an unreadable file: say which
        raise MetricError("target.unreadable", file=Path(getattr(path, "name", str(path))).name, detail=str(exc)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("指标", "目标") if c not in frame.columns]
    if missing:
        raise MetricError("target.missing_columns", missing="、".join(missing), columns="、".join(TEMPLATE_COLUMNS),
                          found="、".join(frame.columns))
    targets, problems = [], []
    for i, row in enumerate(frame.to_dict("records"), start=2):   # row 1 is the header
        def cell(name):
            v = row.get(name)
            return None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" else v
        if all(cell(c) is None for c in TEMPLATE_COLUMNS):
            continue
        kpi = _kpi_of(cell("指标") or "")
        if kpi is None:
            problems.append(Message("target.row", i=i, problem=Message("target.row_unknown_kpi", kpi=cell("指标"))))
            continue
        try:
            level = _LEVEL_WORDS[str(cell("范围") or "all").strip()]
        except KeyError:
            problems.append(Message("target.row", i=i, problem=Message("target.bad_level", level=cell("范围"),
                                                                        levels=_levels())))
            continue
        try:
            raw_month = cell("生效月份")
            month = DEFAULT_SINCE if raw_month is None else parse_month(
                raw_month.date() if isinstance(raw_month, datetime) else raw_month)
            rate = BY_KEY[kpi].unit.is_rate
            value = _number(cell("目标"), rate)
            band = None if cell("黄色区间") is None else _number(cell("黄色区间"), rate)
        except (MetricError, ValueError, TypeError) as exc:
            problems.append(Message("target.row", i=i, problem=exc.message if isinstance(exc, MetricError)
                                    else Message("target.row_not_number")))
            continue
        t = Target(kpi, value, level, None if cell("对象") is None else str(cell("对象")).strip(), month, band)
        problems += [Message("target.row", i=i, problem=p) for p in check_target(t)]
        if known is not None and level != "all" and t.scope_value not in known.get(level, set()):
            problems.append(Message("target.row", i=i, problem=Message(
                "target.unknown_object", level=Message(f"level.{level}"), value=t.scope_value)))
        targets.append(t)
    if problems:
        raise MetricError("target.file_problems", problems=problems)
    return targets


def import_targets_excel(wh, path: str | Path, user: str, sheet: str | int = 0) -> int:
    return save_targets(wh, read_targets_excel(path, sheet, known=known_scope_values(wh)), user)


def known_scope_values(wh) -> dict[str, set[str]]:
    """The regions, stores and teams the warehouse knows (from the calls, orders and roster): a target
    for any other name would never apply, so it is refused."""
    sources = {"region": ("tickets", "sales", "roster"), "store": ("tickets", "sales", "roster"),
               "team": ("tickets", "roster")}
    out: dict[str, set[str]] = {}
    with wh.connect() as conn:
        for level, tables in sources.items():
            sql = " UNION ".join(f"SELECT DISTINCT {level} AS v FROM {t}" for t in tables)
            out[level] = {r[0] for r in conn.execute(sa.text(sql)) if r[0] is not None}
    return out


def targets_frame(targets: list[Target], lang: str = texts.DEFAULT) -> pd.DataFrame:
    """Targets as the template's columns (rates as fractions).  In Chinese it is the template itself (what
    the download holds and the import reads); in another language, the same table for reading."""
    frame = pd.DataFrame([{
        "指标": t.kpi, "范围": texts.text(f"level.{t.level}", lang), "对象": t.scope_value or "",
        "生效月份": month_key(t.effective_month), "目标": t.target, "黄色区间": t.band,
    } for t in targets], columns=list(TEMPLATE_COLUMNS))
    return frame.rename(columns={c: texts.text(f"target.col.{i}", lang) for i, c in enumerate(TEMPLATE_COLUMNS)})


def write_targets_template(path: str | Path, targets: list[Target] | None = None) -> Path:
    """An Excel sheet to fill: the targets in force (defaults when none), one per row."""
    frame = targets_frame(targets if targets is not None else default_targets())
    Path(path).write_bytes(xlsx_bytes({"目标": frame}))
    return Path(path)
