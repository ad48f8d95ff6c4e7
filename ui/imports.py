"""The import page's work outside the page script: save an upload, detect its kind, load it with
a progress bar, and edit the mapping file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from loaders import LoadError, load_file, load_mapping, profiles
from loaders.readers import detect_kind
from loaders.wizard import fitting_profile
import texts
from ui.i18n import lang as current_lang
from ui.i18n import say, t

STEPS = 5   # progress callbacks per file (read, cast, rules, write, log)


def mapping_path() -> Path:
    return Path(os.environ.get("CSDASH_MAPPING", "data/mapping.toml"))


def kind_label(kind: str, lang: str | None = None) -> str:
    """``回访记录（callbacks）``: the kind's label and its id, both in one language."""
    lang = lang or current_lang()
    return texts.text("imp.kind_label", lang, label=texts.text(f"kind.{kind}", lang), kind=kind)


AUTO = ""   # the profile choice "the kind's profile that fits the file, else the mapping file"


def load_upload(wh, upload, kind: str | None, strict: bool, user: str, profile: str = AUTO):
    """Load one uploaded file; returns (kind, report, profile used or None) or raises LoadError.
    With no profile chosen, the most recently used profile whose headers the file has is taken (the
    upload path remembers a vendor's profile), else the mapping file."""
    suffix = Path(upload.name).suffix or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.getvalue())
        fit = fitting_profile(wh, path) if profile == AUTO else None
        if fit and kind in (None, fit[1]):
            profile, kind = fit
        kind = kind or detect_kind(path)
        if kind is None:
            raise LoadError("load.no_kind", file=upload.name)
        bar = st.progress(0.0, text=f"{upload.name} → {kind_label(kind)}")
        done = [0]

        def step(name) -> None:
            done[0] += 1
            bar.progress(min(done[0] / STEPS, 1.0), text=f"{upload.name}：{say(name)}")

        if profile:
            mapping = profiles.load_profile(wh, profile)
        else:
            mapping = load_mapping(mapping_path()) if mapping_path().exists() else None
        kwargs = {"mapping": mapping} if mapping else {}
        report = load_file(wh, kind, path, strict=strict, user=user, file_name=upload.name, progress=step, **kwargs)
        if profile and report.status == "loaded":
            profiles.mark_used(wh, profile, kind)
        bar.progress(1.0, text=f"{upload.name}：{t('imp.done')}")
        return kind, report, profile or None


def save_mapping(text: str) -> None:
    """Check the TOML (every problem in one LoadError), then write it."""
    path = mapping_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as fh:
        fh.write(text)
    try:
        load_mapping(fh.name)
    finally:
        os.unlink(fh.name)
    path.write_text(text, encoding="utf-8")
