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

from dataclasses import dataclass, field
import json
from pathlib import Path
import tomllib

from loaders.errors import LoadError
from loaders.schema import SCHEMAS, Kind
from loaders.vocab import EMPTY, VOCABULARIES
import texts
from texts import Lines, Message


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


def parse_mapping(data: dict, source: str | None = None) -> Mapping:
    """Every problem of the mapping at once, each naming its section."""
    problems: list[Message] = []
    kinds: dict[str, KindMapping] = {}
    for kind, section in data.items():
        if kind not in SCHEMAS:
            problems.append(Message("load.unknown_kind", kind=kind, kinds=", ".join(SCHEMAS)))
            continue
        schema = SCHEMAS[kind]
        names = {c.name for c in schema.columns}
        aliases: dict[str, tuple[str, ...]] = {}
        values: dict[str, dict[str, str]] = {}
        for col, words in (section.get("aliases") or {}).items():
            if col not in names:
                problems.append(Message("map.unknown_column", kind=kind, column=col, columns=", ".join(sorted(names))))
                continue
            aliases[col] = tuple(str(w) for w in ([words] if isinstance(words, str) else words))
        for col, table in (section.get("values") or {}).items():
            column = next((c for c in schema.columns if c.name == col), None)
            if column is None or column.kind is not Kind.vocab:
                vocab_cols = [c.name for c in schema.columns if c.kind is Kind.vocab]
                problems.append(Message("map.no_vocab", kind=kind, column=col, columns=", ".join(vocab_cols)))
                continue
            allowed = [v for v in VOCABULARIES[column.vocab].words if not v.startswith("__")]
            mapped: dict[str, str] = {}
            for word, value in table.items():
                value = str(value)
                if value in ("", "none", "empty"):
                    value = EMPTY
                elif value not in allowed:
                    problems.append(Message("map.bad_value", kind=kind, column=col, word=word, value=value,
                                            allowed=", ".join(allowed)))
                    continue
                mapped[str(word)] = value
            values[col] = mapped
        unknown = set(section) - {"aliases", "values"}
        if unknown:
            problems.append(Message("map.bad_section", kind=kind, found=", ".join(sorted(unknown))))
        kinds[kind] = KindMapping(aliases, values)
    if problems:
        raise LoadError("map.problems", file=source or texts.text("map.file"),
                        problems=Lines(Message("indent", item=p) for p in problems))
    return Mapping(kinds)


def load_mapping(path: str | Path | None) -> Mapping:
    if not path:
        return EMPTY_MAPPING
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except FileNotFoundError:
        raise LoadError("map.no_file", file=str(path)) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise LoadError("map.bad_format", file=str(path), detail=str(exc)) from None
    return parse_mapping(data, str(path))
