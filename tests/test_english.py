"""Every page in English shows no Chinese outside data values (AppTest through the router)."""
import pytest

import texts
from english import data_words, leaks
from test_app import OCTOBER, PAGE_FILES, app, fixture_db, fresh_caches  # noqa: F401 - fixtures

# element kinds whose text the viewer reads (data frames: below, with their values less the data words)
TEXT_ELEMENTS = ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success")
LABELLED = ("metric", "button", "selectbox", "multiselect", "text_input", "checkbox", "radio", "date_input",
            "number_input", "text_area", "toggle", "segmented_control", "tabs", "expander")


def shown_texts(at) -> list[str]:
    out = []
    for e in at.dataframe:   # headers and cells: codes (flags, statuses, sections) become words in the catalog
        frame = e.value.data if hasattr(e.value, "data") else e.value
        out += [str(c) for c in frame.columns]
        out += [str(v) for v in frame.astype(str).to_numpy().ravel()]
    for kind in TEXT_ELEMENTS:
        out += [str(e.value) for e in at.get(kind)]
    for kind in LABELLED:
        for e in at.get(kind):
            out.append(str(getattr(e, "label", "") or ""))
            out.append(str(getattr(e, "help", None) or getattr(getattr(e, "proto", None), "help", "") or ""))   # tooltips
            if kind == "metric":
                out.append(str(e.value))
            for option in getattr(e, "options", None) or []:
                out.append(str(option))
    return out


@pytest.mark.parametrize("page", PAGE_FILES)
def test_english_pages_show_no_chinese_outside_data(fixture_db, monkeypatch, page):
    at = app(fixture_db, monkeypatch, page, lang="en", **OCTOBER)
    # a language's own name (中文 on the switch) is how language switches name languages
    allowed = data_words(fixture_db) | set(texts.LANGS.values())
    assert leaks(shown_texts(at), allowed) == []


def test_the_check_sees_chinese(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/overview.py", **OCTOBER)   # the same page in Chinese
    assert leaks(shown_texts(at), data_words(fixture_db))
