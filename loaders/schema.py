"""The loaders' view of the export kinds: the declarations live in ``warehouse/kinds.py`` (the
warehouse builds its tables from them); here they are checked against what a load needs."""
from __future__ import annotations

import re

import texts
from loaders.vocab import VOCABULARIES
from warehouse.kinds import SCHEMAS, Check, Column, ExportSchema, Input, Kind, Option, normalise_header

__all__ = ["SCHEMAS", "Check", "Column", "ExportSchema", "Input", "Kind", "Option", "normalise_header", "validate_schemas"]


def validate_schemas(schemas: dict[str, ExportSchema] | None = None) -> list[str]:
    """Every problem with the kind declarations at once, each naming the kind (empty when all is well):
    a label missing from the catalog, a key, event or default naming an unknown column, an unknown
    vocabulary, a check's reason missing from the catalog or with ``{value}`` but no value."""
    schemas = SCHEMAS if schemas is None else schemas
    problems = []
    for kind, s in schemas.items():
        names = [c.name for c in s.table_columns]
        where = f"{kind}:"
        if s.kind != kind:
            problems.append(f"{where} declared under the name {s.kind}")
        for text_id in (f"kind.{kind}", f"kind.{kind}.short"):
            if not texts.has(text_id):
                problems.append(f"{where} no text {text_id} in the catalog")
        if len(set(names)) != len(names):
            problems.append(f"{where} a column is declared twice")
        if not s.key:
            problems.append(f"{where} no natural key")
        for k in s.key:
            if k not in names:
                problems.append(f"{where} key column {k} is not a column")
        if s.event is not None and (s.event not in names or s.column(s.event).kind is not Kind.timestamp):
            problems.append(f"{where} event {s.event} is not a timestamp column")
        if not s.required:
            problems.append(f"{where} no required column: any file would match")
        for c in s.table_columns:
            if c.kind is Kind.vocab and c.vocab not in VOCABULARIES:
                problems.append(f"{where} column {c.name} has unknown vocabulary {c.vocab}")
            if c.kind is not Kind.vocab and c.vocab is not None:
                problems.append(f"{where} column {c.name} has a vocabulary but is {c.kind.value}")
        for col in s.defaults:
            if col not in names:
                problems.append(f"{where} default for unknown column {col}")
        if s.legs_of is not None and s.legs_of not in names:
            problems.append(f"{where} legs_of {s.legs_of} is not a column")
        for check in s.checks:
            if not texts.has(check.reason):
                problems.append(f"{where} check reason {check.reason} is not in the catalog")
            elif ("value" in texts.placeholders(texts.text(check.reason))) != (check.value is not None):
                problems.append(f"{where} check {check.reason}: {{value}} and value= must come together")
        for tally in s.tallies:
            if "n" not in (texts.placeholders(texts.text(tally.note)) if texts.has(tally.note) else ()):
                problems.append(f"{where} tally {tally.note} is not a catalog text with {{n}}")
        for expect in s.expects:
            if not texts.has(expect.warning):
                problems.append(f"{where} expectation {expect.warning} is not in the catalog")
        for col in s.inputs:
            if col not in names:
                problems.append(f"{where} KPI input {col} is not a column")
        for opt in s.options:
            for text_id in (f"opt.{kind}.{opt.name}", *(f"opt.{kind}.{opt.name}.{v}" for v in opt.values)):
                if not texts.has(text_id):
                    problems.append(f"{where} option text {text_id} is not in the catalog")
        sql = " ".join([*s.defaults.values(), *(c.when for c in s.checks), *(t.when for t in s.tallies)])
        for token in re.findall(r"\{(has|opt)\.(\w+)\}", sql):
            if token[0] == "has" and token[1] not in names:
                problems.append(f"{where} {{has.{token[1]}}} names no column")
            if token[0] == "opt" and token[1] not in {o.name for o in s.options}:
                problems.append(f"{where} {{opt.{token[1]}}} names no option")
    return problems
