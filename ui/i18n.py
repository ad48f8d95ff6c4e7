"""The viewer's language in the app: the catalog (``texts``) read in the language the viewer chose.

Every text lives in ``texts/langs/``; this module only knows where the viewer's choice is kept."""
from __future__ import annotations

import functools

import streamlit as st

from loaders.schema import SCHEMAS
import texts
from texts import LANGS  # noqa: F401 - re-exported: the language switch lists them
from texts.errors import DomainError


def lang() -> str:
    return texts.known(st.session_state.get("ui.lang", texts.DEFAULT))


_lang = lang


def t(text_key: str, /, **kw) -> str:
    return texts.text(text_key, lang(), **kw)


def say(item) -> str:
    """An error or message in the viewer's language; anything else (an unforeseen exception) as text."""
    if isinstance(item, (DomainError, texts.Message)):
        return item.render(lang())
    return str(item)


def kpi_label(key: str, lang: str | None = None) -> str:
    return texts.text(f"kpi.{key}", lang or _lang())


def dim_label(key: str, lang: str | None = None) -> str:
    return texts.text(f"dim.{key}", lang or _lang())


# a data table's column → the first header its export is known by (the export's own words, Chinese)
EXPORT_HEADERS: dict[str, str] = {}
for _schema in SCHEMAS.values():
    for _col in _schema.columns:
        if _col.aliases:
            EXPORT_HEADERS.setdefault(_col.name, _col.aliases[0])


def column_label(name: str, lang: str | None = None) -> str:
    """A column of rows shown as they are (明细, the dissatisfied list) as a header: its catalog text
    (``col.<name>``, else ``dim.<name>``), else the header its export is known by in Chinese, or its
    id in words in English."""
    lang = lang or _lang()
    for text_id in (f"col.{name}", f"dim.{name}"):
        if texts.has(text_id):
            return texts.text(text_id, lang)
    if lang == texts.DEFAULT and name in EXPORT_HEADERS:
        return EXPORT_HEADERS[name]
    return name.replace("_", " ").capitalize()


def labelled(df):
    """``df`` with its columns renamed by ``column_label`` (names, not data: values stay as they are)."""
    return df.rename(columns={c: column_label(c) for c in df.columns})


def bound(fn):
    """``fn`` with the viewer's language fixed now: a widget's ``format_func`` is also called outside the
    session (by AppTest), where the language would otherwise fall back to Chinese."""
    return functools.partial(fn, lang=_lang())


def value_label(v, lang: str | None = None) -> str:
    """Vocabulary values (presales, phone…) in the viewer's language; names as they are; empty (an agent not in the roster, a row without region) as （未知）."""
    lang = lang or _lang()
    if v is None or (isinstance(v, float) and v != v):
        return texts.text("value.none", lang)
    text_id = f"value.{v}"
    return texts.text(text_id, lang) if texts.has(text_id) else str(v)


def weekday(i: int) -> str:
    return texts.text(f"weekday.{i}", lang())
