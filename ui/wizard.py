"""The import wizard on 数据导入: upload → kind detected → where each column comes from (a header or
several, a constant, or nothing; format; empty words; value words) pre-filled from the profile or
the aliases → the first rows parsed live beside it with their reject reasons and the load's warnings
→ save as a named mapping profile → load.  Profiles export to and import from the mapping file's TOML.

Everything from the file (headers, words, cells) is shown as plain text: widget labels go through
``md`` and cells through dataframes.  Saving a profile is open to anyone until sign-in exists.
"""
from __future__ import annotations

from pathlib import Path
import tempfile

import streamlit as st

from loaders import LoadError, load_file, profiles
from loaders.mapping import ColumnSource, KindMapping
from loaders.pipeline import preview
from loaders.readers import SCRATCH_PREFIX, detect_kind
from loaders.schema import SCHEMAS, Column, Kind
from loaders.wizard import allowed_values, build_mapping, builtin_word, file_header, fitting_profile, suggest
import texts
from ui.access import record
from ui.data import viewer_name
from ui.i18n import lang, say, t
from ui.imports import kind_label
from ui.text import md, md_lines
from warehouse.safety import mask_phone

NEW = ""             # the profile choice "a new mapping"
MAX_WORDS = 30       # value words offered per column
FILE_TYPES = ["csv", "txt", "tsv", "xlsx", "xlsm"]


def _saved_upload() -> dict | None:
    """The wizard's file for this session: the upload's bytes kept in a scratch folder (swept after a
    day like the loader's own), so every rerun previews it without re-uploading."""
    upload = st.file_uploader(t("wiz.file"), type=FILE_TYPES, key="wiz.upload")
    state = st.session_state.get("wiz.file")
    if upload is not None and (state is None or state["id"] != upload.file_id):
        folder = tempfile.mkdtemp(prefix=SCRATCH_PREFIX + "scratch-wizard-")
        path = Path(folder) / ("upload" + (Path(upload.name).suffix or ".csv"))
        path.write_bytes(upload.getvalue())
        state = {"id": upload.file_id, "name": upload.name, "path": str(path)}
        st.session_state["wiz.file"] = state
    return state


def _choose_kind(path: Path, file_id: str, wh) -> tuple[str, str | None]:
    """(kind, profile the file fits): a profile whose headers the file has decides, else the aliases."""
    fit = fitting_profile(wh, path)
    detected = fit[1] if fit else detect_kind(path)
    kinds = list(SCHEMAS)
    kind = st.selectbox(t("imp.kind"), kinds, index=kinds.index(detected) if detected else 0, key=f"wiz.kind.{file_id}",
                        format_func=lambda k, lg=lang(): kind_label(k, lg))
    if detected is None:
        st.caption(t("wiz.no_kind"))
    return kind, fit[0] if fit and fit[1] == kind else None


def _choose_profile(wh, kind: str, file_id: str, fit: str | None) -> str:
    names = [p["name"] for p in profiles.profiles(wh, kind)]
    key = f"wiz.profile.{file_id}.{kind}"
    pending = st.session_state.pop("wiz.pending_profile", None)
    if pending in names:
        st.session_state[key] = pending
    default = fit or profiles.last_used(wh, kind)
    index = [NEW, *names].index(default) if default in names else 0
    return st.selectbox(t("wiz.profile"), [NEW, *names], index=index, key=key,
                        format_func=lambda n, new=t("wiz.new"): new if n == NEW else n)


def _column_row(col: Column, src: ColumnSource | None, headers: list[str], prefix: str) -> dict:
    """One column's source: headers (joined in the order chosen), or a constant; format; empty words."""
    c = st.columns([3, 5, 3, 3, 3], vertical_alignment="center")
    # a header exports commonly use for it, as a hint: the first alias, in English the first Latin one
    hint = next((a for a in col.aliases if lang() == "zh" or a.isascii()), "")
    c[0].markdown(f"**{md(col.name)}**" + ("\\*" if col.required else "") + f"  \n{md(hint)}")
    default = [h for h in (src.headers if src else ()) if h in headers]
    chosen = c[1].multiselect(t("wiz.from"), headers, default=default, key=prefix + "from", placeholder="—",
                              label_visibility="collapsed")
    value = c[2].text_input(t("wiz.value"), value=(src.value or "") if src else "", key=prefix + "value",
                            placeholder=t("wiz.value"), label_visibility="collapsed")
    spec: dict = {"from": chosen if len(chosen) != 1 else chosen[0], "value": value.strip()}
    if value.strip():
        spec["from"] = None
    if col.kind in (Kind.timestamp, Kind.date):
        fmt = c[3].text_input(t("wiz.format"), value=" | ".join(src.format) if src else "", key=prefix + "format",
                              placeholder="%d/%m/%Y %H:%M:%S", label_visibility="collapsed")
        formats = [f.strip() for f in fmt.split("|") if f.strip()]
        spec["format"] = formats[0] if len(formats) == 1 else formats
    empty = c[4].text_input(t("wiz.empty"), value=", ".join(src.empty) if src else "", key=prefix + "empty",
                            placeholder="NO_SERVER, N/A", label_visibility="collapsed")
    spec["empty"] = [w.strip() for w in empty.split(",") if w.strip()] if not spec["value"] else []
    return spec


def _columns(kind: str, sources: dict[str, ColumnSource], headers: list[str], prefix: str) -> dict[str, dict]:
    schema = SCHEMAS[kind]
    head = st.columns([3, 5, 3, 3, 3])
    for cell, key in zip(head, ("wiz.column", "wiz.from", "wiz.value", "wiz.format", "wiz.empty")):
        cell.caption(t(key))
    first = [c for c in schema.columns if c.required or c.name in sources]
    rest = [c for c in schema.columns if c not in first]
    out = {c.name: _column_row(c, sources.get(c.name), headers, f"{prefix}col.{c.name}.") for c in first}
    with st.expander(t("wiz.more_columns", n=len(rest))):
        out.update({c.name: _column_row(c, sources.get(c.name), headers, f"{prefix}col.{c.name}.") for c in rest})
    return out


def _word_choices(kind: str, base: KindMapping, prefix: str) -> dict[str, dict[str, str]]:
    """Value words: the profile's, overridden by this session's choices (made under the preview)."""
    values = {c: dict(t_) for c, t_ in base.values.items()}
    for col in [c.name for c in SCHEMAS[kind].columns if c.kind in (Kind.vocab, Kind.bool)]:
        for word in st.session_state.get(f"{prefix}words.{col}", []):
            choice = st.session_state.get(f"{prefix}word.{col}.{word}")
            if choice is None:
                continue
            if choice == "" or choice == builtin_word(kind, col, word):
                values.get(col, {}).pop(word, None)
            else:
                values.setdefault(col, {})[word] = choice
    return {c: v for c, v in values.items() if v}


def _word_widgets(kind: str, words: dict[str, list[tuple[str, str | None]]], base: KindMapping, prefix: str) -> None:
    if not words:
        return
    st.markdown(f"**{md(t('wiz.words'))}**")
    for col, pairs in words.items():
        shown = [w for w, _ in pairs][:MAX_WORDS]
        st.session_state[f"{prefix}words.{col}"] = shown
        allowed = ["", *allowed_values(kind, col)]
        cells = st.columns(min(len(shown), 4) or 1)
        for i, (word, now) in enumerate(pairs[:MAX_WORDS]):
            default = base.values.get(col, {}).get(word, now or "")
            cells[i % len(cells)].selectbox(
                f"{md(col)} · {md(word)}", allowed, index=allowed.index(default) if default in allowed else 0,
                key=f"{prefix}word.{col}.{word}",
                format_func=lambda v, unknown=t("wiz.unknown_word"): unknown if v == "" else v)


def _options(kind: str, base: KindMapping, prefix: str) -> dict[str, str]:
    out = {}
    for opt in SCHEMAS[kind].options:
        current = base.options.get(opt.name, opt.default)
        value = st.selectbox(t(f"opt.{kind}.{opt.name}"), list(opt.values), index=list(opt.values).index(current),
                             key=f"{prefix}opt.{opt.name}",
                             format_func=lambda v, k=kind, o=opt.name: t(f"opt.{k}.{o}.{v}"))
        if value != opt.default:
            out[opt.name] = value
    return out


def _show_preview(pv) -> None:
    for line in pv.report.warning_lines(lang()):
        st.warning(md(line), icon=":material/warning:")
    for note in pv.report.notes:
        st.caption(md(note.render(lang())))
    frame = pv.rows.copy()
    if "customer_phone" in frame:
        frame["customer_phone"] = frame["customer_phone"].map(mask_phone)
    empty = [c for c in frame.columns if c not in ("line_no", "reason") and frame[c].isna().all()]
    frame = frame.drop(columns=empty)   # the columns this mapping leaves empty
    st.caption(t("wiz.preview", n=len(frame), rejected=int(frame["reason"].notna().sum()) if "reason" in frame else 0))
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="—")


def render(wh) -> None:
    state = _saved_upload()
    if state is None:
        st.caption(t("wiz.hint"))
        _profile_files(wh)
        return
    path = Path(state["path"])
    if not path.exists():   # swept, or another machine: upload again
        st.session_state.pop("wiz.file", None)
        st.info(t("wiz.hint"))
        return
    try:
        kind, fit = _choose_kind(path, state["id"], wh)
        profile = _choose_profile(wh, kind, state["id"], fit)
        base = profiles.load_profile(wh, profile).for_kind(kind) if profile else KindMapping()
        headers = file_header(path, kind, base)
    except LoadError as exc:
        st.error(md_lines(say(exc)))
        return
    prefix = f"wiz.{state['id']}.{kind}.{profile}."
    st.caption(t("wiz.columns_help", headers="、".join(h for h in headers if h)))
    columns = _columns(kind, suggest(headers, kind, base), headers, prefix)
    options = _options(kind, base, prefix)
    try:
        mapping = build_mapping(kind, columns, _word_choices(kind, base, prefix), options, t("wiz.title"))
    except LoadError as exc:
        st.error(md_lines(say(exc)))
        return
    pv = None
    try:
        pv = preview(wh, kind, path, mapping, file_name=state["name"])
    except LoadError as exc:
        st.warning(md_lines(say(exc)), icon=":material/rule:")
    if pv is not None:
        _word_widgets(kind, pv.words, base, prefix)
        _show_preview(pv)
    _save_and_load(wh, state, kind, profile, mapping)
    _profile_files(wh, profile, mapping)


def _save_and_load(wh, state: dict, kind: str, profile: str, mapping) -> None:
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    name = c1.text_input(t("wiz.profile_name"), value=profile, key=f"wiz.name.{state['id']}.{kind}",
                         placeholder=t("wiz.profile_placeholder"))
    if c2.button(t("wiz.save"), key="wiz.save"):
        try:
            profiles.save_profile(wh, name, mapping, user=viewer_name())
            record("profile", name, kinds=[kind])
            st.session_state["wiz.pending_profile"] = " ".join(name.split())
            st.success(md(t("profile.saved", name=name, kinds=kind)))
        except LoadError as exc:
            st.error(md_lines(say(exc)))
    if st.button(t("wiz.load"), key="wiz.load", type="primary"):
        try:
            report = load_file(wh, kind, state["path"], mapping=mapping, user=viewer_name(), file_name=state["name"])
        except LoadError as exc:
            st.error(md_lines(say(exc)))
            return
        saved = profiles.load_profile(wh, profile).to_data() if profile else None
        if profile and saved.get(kind) == mapping.to_data().get(kind):
            profiles.mark_used(wh, profile, kind)
        (st.warning if report.rows_rejected or report.warnings else st.success)(md(report.summary(lang())))
        for line in report.warning_lines(lang()):
            st.warning(md(line), icon=":material/warning:")


def _profile_files(wh, profile: str = NEW, mapping=None) -> None:
    """Export the mapping on screen as TOML; import a TOML or JSON mapping file as a profile."""
    with st.expander(t("wiz.files")):
        if mapping is not None and mapping.to_data():
            st.download_button(t("wiz.export"), mapping.to_toml(), f"{profile or 'mapping'}.toml", "application/toml",
                               key="wiz.export")
        upload = st.file_uploader(t("wiz.import_file"), type=["toml", "json"], key="wiz.import_file")
        name = st.text_input(t("wiz.profile_name"), key="wiz.import_name", placeholder=t("wiz.profile_placeholder"))
        if st.button(t("wiz.import"), key="wiz.import") and upload is not None:
            try:
                text = upload.getvalue().decode("utf-8-sig")
                kinds = profiles.import_toml(wh, name, text, upload.name, user=viewer_name())
                record("profile", name, kinds=kinds, file=upload.name)
                st.success(md(t("profile.saved", name=name, kinds=", ".join(kinds))))
            except UnicodeDecodeError:
                st.error(md(texts.text("map.bad_format", lang(), detail="UTF-8")))
            except LoadError as exc:
                st.error(md_lines(say(exc)))

