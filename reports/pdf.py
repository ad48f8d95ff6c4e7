"""The pack as a PDF: A4 landscape, Noto Sans CJK from Debian's ``fonts-noto-cjk`` (embedded,
subset), charts drawn by matplotlib into PNG in memory (nothing downloaded at run time), tables
that continue on the next page with their header row repeated, and on every page the month, the
scope and "第 n / N 页"."""
from __future__ import annotations

import io
from pathlib import Path
import shutil
import subprocess

from fpdf import FPDF
from fpdf.fonts import FontFace

from metrics.registry import BY_KEY, Unit
from metrics.subjects import SUBJECTS
from reports.errors import ReportError
from reports.pack import Pack, Table, meta_value
from reports.render import (
    CELL_CHARS, LINE_CHARS, NOTE_CHARS, actions_table, section_title, shorten, shown_columns, text_rows, title
)
import texts
from texts import fmt

FONT_FILES = [  # (path, face index of Simplified Chinese in the collection)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
]
PALETTE = fmt.PALETTE
STATUS_RGB = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, v in fmt.STATUS_COLOURS.items() if k != "grey"}


def cjk_font() -> tuple[str, int]:
    for path, index in FONT_FILES:
        if Path(path).exists():
            return path, index
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK SC:lang=zh-cn"],
                               capture_output=True, text=True).stdout.strip()
        path, _, index = found.partition("|")
        if path and Path(path).exists() and "CJK" in path:
            return path, int(index or 0)
    raise ReportError("report.no_font")


class _Doc(FPDF):
    def __init__(self, running: str, lang: str = texts.DEFAULT):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.running, self.lang = running, lang
        self.set_auto_page_break(True, margin=14)
        self.set_margins(12, 16, 12)
        path, index = cjk_font()
        self.add_font("cjk", "", path, collection_font_number=index)
        bold = Path(path.replace("Regular", "Bold"))
        self.add_font("cjk", "B", str(bold) if bold.exists() else path, collection_font_number=index)
        self.alias_nb_pages("{nb}")

    def header(self):
        self.set_font("cjk", size=8)
        self.set_text_color(110, 110, 110)
        self.set_xy(12, 6)
        self.cell(0, 5, self.running, align="L")
        self.set_text_color(0, 0, 0)
        self.set_y(16)

    def footer(self):
        self.set_y(-10)
        self.set_font("cjk", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.running}    {texts.text('pdf.page', self.lang, page=self.page_no())}", align="C")
        self.set_text_color(0, 0, 0)


def _chart(table: Table, kpis: list[str], lang: str = texts.DEFAULT) -> bytes | None:
    """A line (rates) or bar (money) chart of a 6-month trend table, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot as plt

    frame = table.frame
    if frame.empty or not all(k in frame.columns for k in kpis):
        return None
    path, _ = cjk_font()
    if path not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(path)
    plt.rcParams["font.family"] = ["Noto Sans CJK SC", "DejaVu Sans"]
    x = [fmt.month_label(m) for m in frame["month"]]
    fig, ax = plt.subplots(figsize=(9, 2.6), dpi=110)
    unit = BY_KEY[kpis[0]].unit
    for i, k in enumerate(kpis):
        y = [fmt.axis_value(v, unit) for v in frame[k]]
        if unit is Unit.YUAN:
            ax.bar(x, [v / 10_000 if v is not None else 0 for v in y], color=PALETTE[i], label=BY_KEY[k].label_in(lang))
        else:
            ax.plot(x, y, marker="o", color=PALETTE[i], label=BY_KEY[k].label_in(lang))
    ax.set_ylabel({"percent": "%", "yuan": texts.text("pdf.axis.yuan", lang)}.get(unit.value, ""))
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _table(pdf: _Doc, table: Table, lang: str) -> None:
    pdf.set_font("cjk", "B", size=10)
    pdf.multi_cell(0, 7, shorten(title(table, lang), LINE_CHARS), new_x="LMARGIN", new_y="NEXT")
    headers, rows = text_rows(table, lang)
    pdf.set_font("cjk", size=7.5)
    if not rows:
        pdf.cell(0, 6, texts.text("pack.no_data", lang), new_x="LMARGIN", new_y="NEXT")
        return
    heading = FontFace(emphasis="BOLD", fill_color=(232, 238, 247))
    status_col = list(shown_columns(table)).index("status") if "status" in table.frame.columns else None
    statuses = list(table.frame["status"]) if status_col is not None else []
    with pdf.table(headings_style=heading, line_height=4.6, text_align="CENTER", repeat_headings=1,
                   borders_layout="HORIZONTAL_LINES", width=pdf.epw) as t:
        for i, r in enumerate([headers, *rows]):
            row = t.row()
            for j, value in enumerate(r):
                colour = STATUS_RGB.get(statuses[i - 1]) if i and j == status_col else None
                row.cell(value, style=FontFace(color=colour) if colour else None)
    pdf.ln(3)


def write_pdf(pack: Pack, path: str | Path, *, comments: dict[str, str], actions, lang: str = "zh") -> Path:
    month = fmt.month_label(pack.month, lang)
    scope = shorten(pack.scope.label(lang), CELL_CHARS)
    pdf = _Doc(texts.text("pdf.running", lang, month=month, scope=scope), lang)
    pdf.add_page()
    pdf.set_font("cjk", "B", size=24)
    pdf.ln(20)
    pdf.cell(0, 14, texts.text("pack.title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(0, 10, f"{month}    {scope}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=9)
    meta = pack.meta
    say = lambda text_id, **kw: texts.text(text_id, lang, **kw)  # noqa: E731
    lines = [say("pack.meta.created", by=meta.get("created_by", ""), at=meta.get("created_at", "")),
             say("pack.meta.refreshed", at=meta.get("refreshed_at") or say("pack.meta.not_refreshed")),
             say("pack.meta.versions", data=meta.get("data_version"), rules=meta.get("rules_version")),
             say("pack.meta.settings", settings=meta_value(pack, "settings", lang))]
    for line in lines:
        pdf.multi_cell(0, 5.5, shorten(line, LINE_CHARS), new_x="LMARGIN", new_y="NEXT")
    for key in pack.keys():
        pdf.add_page()
        pdf.set_font("cjk", "B", size=15)
        pdf.cell(0, 10, section_title(key, lang), new_x="LMARGIN", new_y="NEXT")
        note = (comments or {}).get(key)
        if note:
            pdf.set_font("cjk", size=9)
            pdf.set_fill_color(250, 246, 230)
            pdf.multi_cell(0, 5.5, texts.text("pack.comment", lang, note=shorten(note, NOTE_CHARS)), fill=True,
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        tables = [actions_table(actions)] if key == "actions" else pack.sections.get(key, [])
        for i, table in enumerate(tables):
            if i == 0 and key in SUBJECTS and SUBJECTS[key].chart:   # the subject's trend, drawn
                png = _chart(table, list(SUBJECTS[key].chart), lang)
                if png:
                    pdf.image(io.BytesIO(png), w=pdf.epw * 0.8)
                    pdf.ln(2)
            _table(pdf, table, lang)
    out = Path(path)
    pdf.output(str(out))
    return out
