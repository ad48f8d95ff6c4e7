"""What the import wizard needs from the loaders, without any page: a file's header, where each
column would come from (the profile's ``[KIND.columns]``, else the built-in aliases), the profile a
file fits, and the mapping the wizard's choices make (checked like a mapping file).
"""
from __future__ import annotations

from pathlib import Path

from loaders import profiles
from loaders.errors import LoadError
from loaders.mapping import ColumnSource, KindMapping, Mapping, parse_mapping
from loaders.pipeline import map_headers
from loaders.readers import find_header_row, first_rows
from loaders.schema import SCHEMAS, Kind, normalise_header
from loaders.vocab import VOCABULARIES, map_word
from warehouse.db import Warehouse


def file_header(path: str | Path, kind: str | None, kmap: KindMapping = KindMapping()) -> list[str]:
    """The header row the load would find (title lines above it skipped)."""
    rows = first_rows(Path(path))
    if not rows:
        raise LoadError("load.empty_text")
    extra = {a for aliases in kmap.aliases.values() for a in aliases} | kmap.source_headers()
    row = rows[find_header_row(rows, kind or next(iter(SCHEMAS)), extra)]
    headers = [str(h).strip() for h in row]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def suggest(headers: list[str], kind: str, kmap: KindMapping = KindMapping()) -> dict[str, ColumnSource]:
    """Each column's source as the load would take it: the mapping's own, else the header its aliases
    claim; columns with neither are left out."""
    hm = map_headers(headers, SCHEMAS[kind], kmap, require=False)
    out = dict(kmap.columns)
    for name, i in hm.columns.items():
        if name not in out and i < len(headers):
            out[name] = ColumnSource((headers[i],))
    return out


def fitting_profile(wh: Warehouse, path: str | Path) -> tuple[str, str] | None:
    """(profile, kind) of the most recently used profile whose headers all appear in the file's header."""
    try:
        rows = first_rows(Path(path))
    except Exception:
        return None
    seen = [{normalise_header(c) for c in row if str(c).strip()} for row in rows]
    for p in profiles.profiles(wh):
        kmap = profiles.load_profile(wh, p["name"]).for_kind(p["kind"])
        wanted = {normalise_header(h) for h in kmap.source_headers()}
        if wanted and any(wanted <= cells for cells in seen):
            return p["name"], p["kind"]
    return None


def builtin_word(kind: str, column: str, word: str) -> str | None:
    """What a vocabulary column's word means without any mapping."""
    col = SCHEMAS[kind].column(column)
    return map_word(VOCABULARIES["bool" if col.kind is Kind.bool else col.vocab], word)


def allowed_values(kind: str, column: str) -> list[str]:
    col = SCHEMAS[kind].column(column)
    if col.kind is Kind.bool:
        return ["true", "false"]
    return [v for v in VOCABULARIES[col.vocab].words if not v.startswith("__")]


def build_mapping(kind: str, columns: dict[str, dict], values: dict[str, dict[str, str]],
                  options: dict[str, str], source: str) -> Mapping:
    """The mapping the wizard's choices make, checked as a mapping file is (every problem at once).
    ``columns``: column → {"from": [headers], "value": text, "format": text, "empty": [words]}."""
    section: dict = {}
    cols = {}
    for name, spec in columns.items():
        entry = {k: v for k, v in spec.items() if v not in (None, "", [])}
        if entry:
            cols[name] = entry
    if cols:
        section["columns"] = cols
    if values:
        section["values"] = {c: dict(t) for c, t in values.items() if t}
    if options:
        section["options"] = dict(options)
    return parse_mapping({kind: section} if section else {}, source)
