"""One declaration per concept, checked: the text catalog, the export kinds, the layering, domain errors
in both languages, and the command lines that share them."""
import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import texts
from conftest import FIXTURES, ROOT
from loaders.errors import LoadError
from loaders.schema import SCHEMAS, Check, validate_schemas
from metrics.compare import COVERAGE
from metrics.errors import MetricError
from metrics.months import parse_month
from metrics.sources import SOURCES
from texts import Lines, Message
from texts.errors import DomainError
from warehouse.kinds import EVENT_KINDS
from warehouse.schema import KEYS, TABLES

LAYERS = ("texts", "warehouse", "loaders", "metrics", "appraisal", "reports", "alerts", "ui", "pages")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


# ------------------------------------------------------------------ the catalog
def test_catalog_is_complete_in_every_language():
    assert set(texts.LANGS) >= {"zh", "en"}
    assert texts.validate() == []


def test_catalog_check_names_every_problem():
    bad = {"zh": {"a": "甲 {n}", "b": "乙", "c": "丙 {x}"},
           "en": {"a": "A {count}", "c": "C {x", "d": "D"}}
    problems = texts.validate(bad)
    assert "en: missing b" in problems
    assert "en: d is not in zh" in problems
    assert any(p.startswith("en: a has placeholders ['count']") for p in problems)
    assert any(p.startswith("en: c does not parse") for p in problems)


def test_english_texts_have_no_han_but_quoted_vendor_words():
    # the English catalog may quote the Chinese words a vendor's export uses (好评, 投诉, 售后/安装);
    # nothing else in it is Chinese
    quoted = re.compile(r"“[^”]*”|\"[^\"]*\"|\([^)]*\)|好评|中评|差评|投诉|售后/安装|[①-⑩]")
    leaks = {k: v for k, v in texts.CATALOG["en"].items() if HAN.search(quoted.sub("", v))}
    assert leaks == {}


def test_messages_render_late_in_the_readers_language():
    m = Message("load.note.legs", legs=5, calls=2)
    assert m.render("zh") == "转接分段 5 行合并为 2 通电话" and str(m) == m.render("zh")
    assert m.render("en") == "5 transfer legs merged into 2 calls"
    assert m.render("xx") == m.render("zh")          # an unknown language (a hostile ?lang=) falls back
    nested = Message("target.item", i=1, kpi="aov", problem=Message("target.negative", label=Message("kpi.aov")))
    assert nested.render("zh") == "第 1 条（aov）：客单价 的目标不能为负数"
    assert nested.render("en") == "item 1 (aov): the target of Average order value cannot be negative"


def test_domain_errors_carry_a_code_and_render_in_both_languages():
    with pytest.raises(MetricError) as info:
        parse_month("2026-13")
    exc = info.value
    assert isinstance(exc, DomainError) and exc.code == "metric.bad_month" and exc.params == {"text": "2026-13"}
    assert str(exc) == "月份「2026-13」格式不对：应为 YYYY-MM，例如 2026-10。"
    assert exc.render("en") == "month “2026-13” is not in the form YYYY-MM, e.g. 2026-10."
    load = LoadError("load.strict", n=2, lines=Lines([Message("load.strict.line", line=3, reason="x")])).with_file("a.csv")
    assert str(load) == "a.csv: 严格模式：2 行有问题，整个文件未导入：\n  第 3 行：x"
    assert load.render("en") == "a.csv: strict mode: 2 rows have problems, the whole file was not imported:\n  line 3: x"


def test_each_layer_has_its_error():
    from appraisal.errors import AppraisalError
    from reports.errors import ReportError
    from warehouse.errors import WarehouseError

    for cls in (WarehouseError, LoadError, MetricError, AppraisalError, ReportError):
        assert issubclass(cls, DomainError)


# ------------------------------------------------------------------ export kinds
def test_kind_declarations_are_complete():
    assert validate_schemas() == []


def test_kind_check_names_every_problem():
    broken = dataclasses.replace(
        SCHEMAS["sales"], kind="shop_checks", key=("check_id",), event="store",
        defaults={"nowhere": "1"}, legs_of="nothing",
        checks=(Check("TRUE", "reject.not_in_catalog"), Check("TRUE", "reject.agent_not_in_roster")))
    problems = validate_schemas({"shop_checks": broken})
    for expected in ("no text kind.shop_checks in the catalog", "key column check_id is not a column",
                     "event store is not a timestamp column", "default for unknown column nowhere",
                     "legs_of nothing is not a column", "check reason reject.not_in_catalog is not in the catalog",
                     "check reject.agent_not_in_roster: {value} and value= must come together"):
        assert any(expected in p for p in problems), (expected, problems)


def test_warehouse_tables_keys_and_coverage_derive_from_the_kinds():
    for kind, schema in SCHEMAS.items():
        assert KEYS[kind] == schema.key
        assert [c.name for c in TABLES[kind].columns] == [c.name for c in schema.table_columns] + ["load_id", "line_no"]
    assert EVENT_KINDS == ("tickets", "callbacks", "sales", "complaints", "store_audits", "inventory_snapshots",
                           "receivables")
    for key, source in SOURCES.items():
        if source.rollup == "none":   # a lookup (the store master), not a KPI source: no months to cover
            continue
        assert COVERAGE[key] == tuple(f"{k}.{SCHEMAS[k].event}" for k in source.kinds) != ()


# ------------------------------------------------------------------ layering
def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield node, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, [node.module]


def test_no_module_imports_a_higher_layer():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward, nested = [], []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node, names in _imports(path):
                for name in names:
                    top = name.split(".")[0]
                    if top in rank and rank[top] > rank[layer]:
                        upward.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
                    if top in rank and node.col_offset > 0:
                        nested.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name} inside a function")
    assert upward == []
    # a function-level import of ours would hide an arrow; none breaks a cycle today
    assert nested == []


def test_the_layering_check_catches_an_upward_import(tmp_path):
    fake = tmp_path / "m.py"
    fake.write_text("def f():\n    from appraisal.publish import publish\n", encoding="utf-8")
    ((node, names),) = list(_imports(fake))
    assert names == ["appraisal.publish"] and node.col_offset > 0


# ------------------------------------------------------------------ command lines
def _run(module, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)


def test_cli_errors_in_the_language_asked(db, tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text("话单ID,渠道\nT1,电话\n", encoding="utf-8")
    zh = _run("loaders", "--db", db, "load", "tickets", str(bad))
    en = _run("loaders", "--db", db, "--lang", "en", "load", "tickets", str(bad))
    assert zh.returncode == en.returncode == 2
    assert "缺少必需的列" in zh.stderr
    assert "required columns missing" in en.stderr and "headers found in the file: 话单ID、渠道" in en.stderr
    ok = _run("loaders", "--db", db, "--lang", "en", "load", "roster", str(FIXTURES / "roster.csv"))
    assert ok.returncode == 0 and "rows read" in ok.stdout and "读取" not in ok.stdout
    month = _run("metrics", "--db", db, "--lang", "en", "report", "--month", "2026-13")
    assert month.returncode == 2 and "YYYY-MM" in month.stderr


def test_appraisal_has_its_own_command_line_and_the_old_one_is_an_alias(tmp_path):
    loaded_db = str(tmp_path / "warehouse.duckdb")
    for kind, name in (("roster", "roster.csv"), ("tickets", "tickets_basic.csv")):
        assert _run("loaders", "--db", loaded_db, "load", kind, str(FIXTURES / name)).returncode == 0
    own = _run("appraisal", "--db", loaded_db, "month", "--month", "2026-10", "--division", "presales",
               "--format", "csv")
    alias = _run("metrics", "--db", loaded_db, "appraisal", "--month", "2026-10", "--division", "presales",
                 "--format", "csv")
    assert own.returncode == alias.returncode == 0, (own.stderr, alias.stderr)
    assert own.stdout == alias.stdout and own.stdout.startswith("agent_id,agent_name,team,")
    assert "python -m appraisal month" in alias.stderr


# ------------------------------------------------------------------ subjects, targets template, cards
def test_subject_groupings_are_declared_once_and_used():
    from metrics.subjects import MATRIX_KPIS, OVERVIEW_KPIS, SUBJECTS, SUMMARY_KPIS, validate
    from reports.pack import SECTIONS

    assert validate() == []
    assert [s for s in SECTIONS if s in SUBJECTS] == [k for k, s in SUBJECTS.items() if s.in_pack]   # a section per pack subject
    assert OVERVIEW_KPIS == tuple(k for s in SUBJECTS.values() for k in s.overview)
    for path in ("pages/calls.py", "pages/tickets.py", "pages/satisfaction.py", "pages/sales.py", "pages/overview.py",
                 "reports/pack.py", "reports/pdf.py"):
        source = (ROOT / path).read_text(encoding="utf-8")
        assert "SUBJECTS" in source or "OVERVIEW" in source, path
        # no page or document lists a subject's KPIs itself any more
        assert not re.search(r'\[\s*"(answer_rate|revenue|callbacks|contacts)"', source), path
    assert set(SUMMARY_KPIS) | set(MATRIX_KPIS) <= set(__import__("metrics").BY_KEY)


def test_targets_table_headers_are_the_template_columns_in_chinese():
    from metrics.targets import TEMPLATE_COLUMNS

    assert [texts.text(f"target.col.{i}") for i in range(len(TEMPLATE_COLUMNS))] == list(TEMPLATE_COLUMNS)


def test_card_lines_read_in_any_language_and_old_cards_as_stored():
    from appraisal.rules import RULES, Rules
    from appraisal.scorecard import aftersales_card, line_text

    card = aftersales_card({"attitude_grade": "B"}, 10, 8, 3, 12, Rules(None, {k: r.default for k, r in RULES.items()}))
    line = dataclasses.asdict(card.lines[1])
    assert line["label"] == "客户满意度" and line_text(line, "label", "en") == "Customer satisfaction"
    assert line_text(line, "rule", "zh") == line["rule"] == "20 × 已评回访平均分（A 5 / B 3 / C 0 / D -5），3 单合计 12 分"
    assert line_text(line, "rule", "en").startswith("20 × mean points of graded callbacks")
    published_before = {k: v for k, v in line.items() if k != "text_ids"}   # a card frozen before the catalog
    assert line_text(published_before, "rule", "en") == line["rule"]


def test_cli_help_in_the_language_asked():
    for module in ("loaders", "metrics", "appraisal", "reports"):
        zh, en = _run(module, "--help"), _run(module, "--lang", "en", "--help")
        assert zh.returncode == en.returncode == 0
        assert HAN.search(zh.stdout) and not HAN.search(en.stdout), (module, en.stdout)


def test_every_unit_is_formatted_on_cards_axes_and_in_excel():
    """A unit added to metrics.registry.Unit must be written somewhere: a drifted copy fails here."""
    from metrics.registry import Unit
    from reports.excel import NUMBER_FORMATS
    from texts import fmt

    assert {u.value for u in Unit} == set(fmt.SUFFIXED) | {"percent", "yuan", "count"}
    assert set(NUMBER_FORMATS) == set(Unit)
    assert fmt.value(2.5, "times", "zh") == "2.50次" and fmt.value(15.86, "days", "en") == "15.9 d"
    assert fmt.value(0.1234, "per_10k", "zh") == "0.12件/万元" and fmt.value(3.04, "seconds", "zh") == "3.0秒"
