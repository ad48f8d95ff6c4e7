"""Every page in English shows no Chinese outside data values (AppTest through the router)."""
import re

import pytest
import sqlalchemy as sa

import texts

from test_app import OCTOBER, PAGE_FILES, app, fixture_db, fresh_caches  # noqa: F401 - fixtures
from warehouse import open_warehouse

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# element kinds whose text the viewer reads (data frames are data; their headers are checked as labels)
TEXT_ELEMENTS = ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success")
LABELLED = ("metric", "button", "selectbox", "multiselect", "text_input", "checkbox", "radio", "date_input",
            "number_input", "text_area", "toggle", "segmented_control", "tabs", "expander")


def data_words(db: str) -> set[str]:
    """Every text value the warehouse holds: names of teams, regions, stores, agents, categories, files…"""
    wh = open_warehouse(db)
    words = set()
    with wh.connect() as conn:
        for table, columns in (("tickets", "team, region, store, agent_name, category, agent_id"),
                               ("roster", "team, region, store, agent_name, leader, nickname"),
                               ("sales", "store, region, member_level, channel"),
                               ("callbacks", "comment"), ("load_log", "file_name")):
            for row in conn.execute(sa.text(f"SELECT DISTINCT {columns} FROM {table}")):
                words.update(str(v) for v in row if v is not None)
    wh.dispose()
    return words


def shown_texts(at) -> list[str]:
    out = []
    for kind in TEXT_ELEMENTS:
        out += [str(e.value) for e in at.get(kind)]
    for kind in LABELLED:
        for e in at.get(kind):
            out.append(str(getattr(e, "label", "") or ""))
            if kind == "metric":
                out.append(str(e.value))
            for option in getattr(e, "options", None) or []:
                out.append(str(option))
    return out


def leaks(texts: list[str], words: set[str]) -> list[str]:
    found = []
    for text in texts:
        for w in sorted(words, key=len, reverse=True):
            if HAN.search(w):
                text = text.replace(w, "")
        found += [f"{m} in {text[:80]!r}" for m in HAN.findall(text)]
    return found


# Not yet in the catalog (issue 14's closing note): the appraisal items, rules and flags.  Strict: the mark
# fails the day the page is clean, so it cannot outlive the work.
NOT_YET = {"pages/appraisal.py": "appraisal items, rules and flags are still Chinese-only declarations"}


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.xfail(reason=NOT_YET[p], strict=True))
                                  if p in NOT_YET else p for p in PAGE_FILES])
def test_english_pages_show_no_chinese_outside_data(fixture_db, monkeypatch, page):
    at = app(fixture_db, monkeypatch, page, lang="en", **OCTOBER)
    # a language's own name (中文 on the switch) is how language switches name languages
    allowed = data_words(fixture_db) | set(texts.LANGS.values())
    assert leaks(shown_texts(at), allowed) == []


def test_the_check_sees_chinese(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/overview.py", **OCTOBER)   # the same page in Chinese
    assert leaks(shown_texts(at), data_words(fixture_db))
