"""The user's mapping file: extra header aliases and value words per export kind.

TOML (or JSON with the same shape)::

    [callbacks.aliases]
    satisfaction = ["满意度按键"]

    [callbacks.values.satisfaction]   # a three-level or key-press scale must be declared
    "好评" = "A"
    "中评" = "C"
    "差评" = "D"

    [tickets.values.call_result]
    "转接成功" = "answered"

Every problem in the file is reported at once, naming the kind, column and value to fix.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from loaders.errors import LoadError
from loaders.schema import SCHEMAS, Kind
from loaders.vocab import EMPTY, VOCABULARIES


@dataclass(frozen=True)
class KindMapping:
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)   # column → extra headers
    values: dict[str, dict[str, str]] = field(default_factory=dict)     # column → word → value


@dataclass(frozen=True)
class Mapping:
    kinds: dict[str, KindMapping] = field(default_factory=dict)

    def for_kind(self, kind: str) -> KindMapping:
        return self.kinds.get(kind, KindMapping())


EMPTY_MAPPING = Mapping()


def parse_mapping(data: dict, source: str = "映射文件") -> Mapping:
    problems: list[str] = []
    kinds: dict[str, KindMapping] = {}
    for kind, section in data.items():
        if kind not in SCHEMAS:
            problems.append(f"未知的文件类型「{kind}」，可用：{', '.join(SCHEMAS)}")
            continue
        schema = SCHEMAS[kind]
        names = {c.name for c in schema.columns}
        aliases: dict[str, tuple[str, ...]] = {}
        values: dict[str, dict[str, str]] = {}
        for col, words in (section.get("aliases") or {}).items():
            if col not in names:
                problems.append(f"[{kind}.aliases] 未知的列「{col}」，可用：{', '.join(sorted(names))}")
                continue
            aliases[col] = tuple(str(w) for w in ([words] if isinstance(words, str) else words))
        for col, table in (section.get("values") or {}).items():
            column = next((c for c in schema.columns if c.name == col), None)
            if column is None or column.kind is not Kind.vocab:
                vocab_cols = [c.name for c in schema.columns if c.kind is Kind.vocab]
                problems.append(f"[{kind}.values] 列「{col}」没有取值词表，可用：{', '.join(vocab_cols)}")
                continue
            allowed = [v for v in VOCABULARIES[column.vocab].words if not v.startswith("__")]
            mapped: dict[str, str] = {}
            for word, value in table.items():
                value = str(value)
                if value in ("", "none", "empty"):
                    value = EMPTY
                elif value not in allowed:
                    problems.append(f"[{kind}.values.{col}] 「{word}」= 「{value}」不是有效取值，可用：{', '.join(allowed)}")
                    continue
                mapped[str(word)] = value
            values[col] = mapped
        unknown = set(section) - {"aliases", "values"}
        if unknown:
            problems.append(f"[{kind}] 只能有 aliases 和 values 两节，发现：{', '.join(sorted(unknown))}")
        kinds[kind] = KindMapping(aliases, values)
    if problems:
        raise LoadError("映射文件有误：\n  " + "\n  ".join(problems), file=source)
    return Mapping(kinds)


def load_mapping(path: str | Path | None) -> Mapping:
    if not path:
        return EMPTY_MAPPING
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except FileNotFoundError:
        raise LoadError("映射文件不存在", file=str(path)) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"映射文件格式错误：{exc}", file=str(path)) from None
    return parse_mapping(data, str(path))
