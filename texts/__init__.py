"""Every user-facing text, by id, in every language — the one catalog ``ui``, ``reports``, the
domain errors and the CLIs share.

A language is one module in ``texts/langs/`` with ``NAME`` (its own name) and ``TEXT`` (id → text,
``str.format`` placeholders).  Adding a third language is adding that one file: it is found here,
offered by the language switch and checked by ``validate()``.  Chinese is the default and the
reference: every other language has exactly its ids and placeholders.

This package is the lowest layer: it imports nothing of ours, so every layer may use it.
"""
from __future__ import annotations

import importlib
import pkgutil
import string
from typing import Any, Iterable

from texts import langs as _langs

DEFAULT = "zh"


def _load() -> dict[str, Any]:
    found = {m.name: importlib.import_module(f"texts.langs.{m.name}")
             for m in pkgutil.iter_modules(_langs.__path__) if not m.name.startswith("_")}
    # the default first, the rest by code: the order of the language switch
    return {code: found[code] for code in sorted(found, key=lambda c: (c != DEFAULT, c))}


_MODULES = _load()
LANGS: dict[str, str] = {code: mod.NAME for code, mod in _MODULES.items()}
CATALOG: dict[str, dict[str, str]] = {code: mod.TEXT for code, mod in _MODULES.items()}


def known(lang: str | None) -> str:
    """``lang`` when it is a catalog language, else the default (a URL's ``?lang=xx`` is hostile)."""
    return lang if lang in CATALOG else DEFAULT


def text(text_id: str, lang: str | None = DEFAULT, /, **params) -> str:
    """The text ``text_id`` in ``lang``, its placeholders filled (nested messages rendered in ``lang``)."""
    lang = known(lang)
    template = CATALOG[lang][text_id]
    if not params:
        return template
    return template.format(**{k: render(v, lang) for k, v in params.items()})


def has(text_id: str) -> bool:
    return text_id in CATALOG[DEFAULT]


class Message:
    """A text id with its parameters, rendered late: in the language of whoever reads it."""
    __slots__ = ("code", "params")

    def __init__(self, code: str, /, **params):
        self.code, self.params = code, params

    def render(self, lang: str | None = DEFAULT) -> str:
        return text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.render(DEFAULT)

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)


class Join(list):
    """Messages (or plain values) joined by a separator the same in every language (`` / ``, ``、``)."""

    def __init__(self, items, sep: str):
        super().__init__(items)
        self.sep = sep


class Lines(list):
    """Messages shown one per line under the text they fill (an error's details): each rendered on a
    line of its own, so an empty ``Lines`` adds nothing."""


def render(value, lang: str | None = DEFAULT):
    """A message; ``Lines`` one per line; a list of messages joined by the language's separator;
    anything else as is."""
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Lines):
        return "".join("\n" + str(render(v, lang)) for v in value)
    if isinstance(value, Join):
        return value.sep.join(str(render(v, lang)) for v in value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Message) for v in value):
        return text("sep.problems", lang).join(str(render(v, lang)) for v in value)
    return value


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def validate(catalog: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Every problem with the catalog at once: an id missing from a language, an id only one language
    has, placeholders that differ from the default language's, or a template that does not parse."""
    catalog = CATALOG if catalog is None else catalog
    ref = catalog[DEFAULT]
    problems = []
    for lang, table in catalog.items():
        for text_id in sorted(set(ref) - set(table)):
            problems.append(f"{lang}: missing {text_id}")
        for text_id in sorted(set(table) - set(ref)):
            problems.append(f"{lang}: {text_id} is not in {DEFAULT}")
        for text_id in sorted(set(ref) & set(table)):
            try:
                mine, theirs = placeholders(table[text_id]), placeholders(ref[text_id])
            except ValueError as exc:
                problems.append(f"{lang}: {text_id} does not parse ({exc})")
                continue
            if mine != theirs:
                problems.append(f"{lang}: {text_id} has placeholders {sorted(mine)}, {DEFAULT} has {sorted(theirs)}")
    return problems


def ids(prefix: str) -> list[str]:
    """The ids under ``prefix`` (``"kpi."``…), in declaration order."""
    return [k for k in CATALOG[DEFAULT] if k.startswith(prefix)]


def missing(required: Iterable[str]) -> list[str]:
    """The ids of ``required`` the catalog lacks: declarations elsewhere (KPIs, settings…) check theirs."""
    return [f"missing text {r}" for r in required if not has(r)]
