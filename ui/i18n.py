"""The viewer's language in the app: the catalog (``texts``) read in the language the viewer chose.

Every text lives in ``texts/langs/``; this module only knows where the viewer's choice is kept."""
from __future__ import annotations

import functools

import streamlit as st

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
