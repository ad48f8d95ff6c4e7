"""The hostile corpus: files an attacker or a clumsy manager would give the loader, made by code (no
stored binaries), each with the outcome it must have.  ``tests/test_hostile.py`` loads every case
in a fresh process and checks the outcome, the peak memory and, for a refusal, that the warehouse
did not change.

    python tests/hostile.py OUT_DIR      # write the corpus, to try the files by hand
"""
from __future__ import annotations

import codecs
import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HEADER = ["话单ID", "来电时间", "渠道", "客服昵称", "问题分类", "排队时长", "通话时长"]


def _row(i: int, when: str = "2026-10-03 10:00:00", **cells) -> list[str]:
    base = {"话单ID": f"H{i:05d}", "来电时间": when, "渠道": "在线", "客服昵称": f"客服{i % 7}", "问题分类": "售后/安装",
            "排队时长": "5", "通话时长": "1:35"}
    base.update(cells)
    return [base[h] for h in HEADER]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v
    return "\n".join(",".join(q(c) for c in r) for r in [header, *rows]) + "\n"


def _good(n: int, start: int = 0) -> list[list[str]]:
    return [_row(i) for i in range(start, start + n)]


@dataclass
class Case:
    """One hostile file and what must happen: ``refused`` (exit 2, nothing changed) or ``loaded``
    with ``inserted`` new rows and ``rejected`` rows, each rejected line's number and a word of its
    reason; ``words`` must appear in the message or the notes."""
    name: str
    why: str
    make: object                      # (path) -> None
    suffix: str = ".csv"
    outcome: str = "loaded"
    inserted: int | None = None
    rejected: int = 0
    reject_lines: dict[int, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def _write_text(text: str, encoding: str = "utf-8"):
    return lambda p: p.write_bytes(text.encode(encoding))


def _wide(n_cols: int, rows: int):
    junk = [f"备用字段{k}" for k in range(n_cols - len(HEADER))]

    def make(p: Path) -> None:
        lines = [",".join(HEADER + junk)]
        for r in _good(rows):
            lines.append(",".join(r + ["x"] * len(junk)))
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return make


def _bom_gbk(p: Path) -> None:
    p.write_bytes(codecs.BOM_UTF8 + _csv(_good(5)).encode("gbk"))


def _gbk_line(p: Path) -> None:
    head = _csv(_good(4))                         # header + lines 2..5
    bad = ",".join(_row(99, 问题分类="投诉/态度")).encode("gbk") + b"\n"   # line 6
    tail = "\n".join(",".join(r) for r in _good(3, start=10)) + "\n"    # lines 7..9
    p.write_bytes(head.encode("utf-8") + bad + tail.encode("utf-8"))


def _multiline(p: Path) -> None:
    rows = [_row(0, 问题分类="客户意见：\n第二行\n第三行"),        # lines 2-4
            _row(1),                                            # line 5
            _row(2, 来电时间="不是时间"),                        # line 6: rejected
            _row(3, 问题分类="又一条\r\n换行")]                   # lines 7-8
    p.write_text(_csv(rows), encoding="utf-8")


def _gbk_multiline_bad_byte(p: Path) -> None:
    head = _csv([_row(0, 问题分类="第一行\n第二行"), _row(1)]).encode("gbk")            # lines 1-4
    bad = ",".join(_row(2)).encode("gbk").replace("客服".encode("gbk"), b"\xff\xfe") + b"\n"   # line 5
    tail = _csv([_row(3)]).split("\n", 1)[1].encode("gbk")                              # line 6
    p.write_bytes(head + bad + tail)


def _dates(p: Path) -> None:
    late = (date.today() + timedelta(days=400)).isoformat()
    rows = [_row(0), _row(1, 来电时间="9999-12-31 10:00:00"), _row(2, 来电时间="0001-01-01"),
            _row(3, 来电时间="1899-12-31"), _row(4, 来电时间="1900-01-01"), _row(5, 来电时间="2100-01-01"),
            _row(6, 来电时间=late), _row(7, 来电时间="1990-01-01 00:00:00")]
    p.write_text(_csv(rows), encoding="utf-8")


def _numbers(p: Path) -> None:
    rows = [_row(0), _row(1, 通话时长="99999999999999999999"), _row(2, 排队时长="inf"), _row(3, 排队时长="-Infinity"),
            _row(4, 通话时长="86400"), _row(5, 通话时长="86401")]
    p.write_text(_csv(rows), encoding="utf-8")


def _controls(p: Path) -> None:
    rows = [_row(0, 客服昵称="张\x00三"), _row(1, 客服昵称="\u202eevil\u202c"), _row(2, 问题分类="a\x07b"), _row(3)]
    p.write_text(_csv(rows), encoding="utf-8")


def _huge_cell(p: Path) -> None:
    rows = [_row(0), _row(1, 问题分类="长" * 200_000), _row(2)]
    p.write_text(_csv(rows), encoding="utf-8")


def _xlsx(sheet_xml: bytes, p: Path) -> None:
    """A minimal .xlsx around one sheet's XML (what a bomb looks like: small zip, big claims)."""
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _sheet(rows: list[list[str]], dimension: str | None = None, pad: int = 0) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    if dimension:
        out.write(f'<dimension ref="{dimension}"/>')
    out.write("<sheetData>")
    for r, row in enumerate(rows, 1):
        out.write(f'<row r="{r}">')
        for c, v in enumerate(row):
            out.write(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>')
        out.write("</row>")
    out.write("</sheetData>" + " " * pad + "</worksheet>")
    return out.getvalue().encode("utf-8")


def _xlsx_rows_bomb(p: Path) -> None:
    _xlsx(_sheet([HEADER, *_good(3)], dimension="A1:G3000000"), p)


def _xlsx_size_bomb(p: Path) -> None:
    _xlsx(_sheet([HEADER, *_good(3)], pad=3 << 20), p)   # 3 MB of blanks zip to a few KB


def _xlsx_ok(p: Path) -> None:
    _xlsx(_sheet([HEADER, *_good(3)]), p)


def _xlsx_many_rows(p: Path) -> None:
    """200,000 rows through xlsxwriter: read in batches, so memory stays flat."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(p), {"constant_memory": True})
    ws = wb.add_worksheet("S1")
    ws.write_row(0, 0, HEADER)
    for i in range(200_000):
        ws.write_row(i + 1, 0, _row(i))
    wb.close()


def _broken_zip(p: Path) -> None:
    buf = io.BytesIO()
    _xlsx(_sheet([HEADER, *_good(3)]), buf)
    p.write_bytes(buf.getvalue()[:200])


def _garbage(p: Path) -> None:
    import random

    rnd = random.Random(13)
    p.write_bytes(bytes(rnd.randrange(256) for _ in range(20_000)))


def _unterminated(p: Path) -> None:
    p.write_text(_csv(_good(3)) + 'H09999,2026-10-03 10:00:00,在线,"没有结束的引号,x\n', encoding="utf-8")


CASES = [
    Case("wide_300", "50 rows × 300 columns took DuckDB out of memory", _wide(300, 50), inserted=50),
    Case("wide_2000", "2,000 columns ran for minutes; over the column limit it is refused at once", _wide(2000, 50),
         outcome="refused", words=("2000 列", "上限 1000")),
    Case("wide_5000_allowed", "5,000 columns segfaulted; with the limit raised only the known columns are read",
         _wide(5000, 20), inserted=20, env={"CSDASH_LIMIT_MAX_COLUMNS": "6000"}),
    Case("huge_cell", "a 200,000-character cell crashed the header reader (_csv.Error)", _huge_cell,
         inserted=2, rejected=1, reject_lines={3: "32767"}),
    Case("bom_then_gbk", "a UTF-8 BOM in front of GBK text raised UnicodeDecodeError", _bom_gbk, inserted=5),
    Case("gbk_line_in_utf8", "one GBK line in a UTF-8 file refused the whole file, blaming line 1", _gbk_line,
         inserted=7, rejected=1, reject_lines={6: "解码"}),
    Case("multiline_quoted", "a quoted cell with line breaks (客户意见) failed the file", _multiline,
         inserted=3, rejected=1, reject_lines={6: "无法识别为时间"}),
    Case("gbk_multiline_bad_byte", "GBK, a quoted cell over two lines, then a line that does not decode",
         _gbk_multiline_bad_byte, inserted=3, rejected=1, reject_lines={5: "解码"}),
    Case("implausible_dates", "9999-12-31 took every page down; 0001, 1899, 1900, 2100 became months", _dates,
         inserted=2, rejected=6, reject_lines={3: "合理范围", 4: "合理范围", 5: "合理范围", 6: "合理范围",
                                               7: "合理范围", 8: "合理范围"}),
    Case("implausible_numbers", "a talk time of 1e20 s was accepted; infinities too", _numbers,
         inserted=2, rejected=4, reject_lines={3: "超出范围", 4: "时长", 5: "时长", 7: "超出范围"}),
    Case("control_characters", "NUL and bidi overrides are removed and counted", _controls, inserted=4,
         words=("控制字符",)),
    Case("xlsx_row_bomb", "a small .xlsx claiming 3 M rows is refused before it is expanded", _xlsx_rows_bomb,
         suffix=".xlsx", outcome="refused", words=("3,000,000 行", "上限")),
    Case("xlsx_size_bomb", "an .xlsx that unpacks past the size limit is refused before it is expanded",
         _xlsx_size_bomb, suffix=".xlsx", outcome="refused", words=("解压后", "上限 1 MB"),
         env={"CSDASH_LIMIT_MAX_XLSX_MB": "1"}),
    Case("xlsx_fine", "a small well-formed .xlsx still loads", _xlsx_ok, suffix=".xlsx", inserted=3),
    Case("xlsx_200k_rows", "a big .xlsx loads in batches (a 1 M-row sheet took 6.4 GB)", _xlsx_many_rows,
         suffix=".xlsx", inserted=200_000),
    Case("broken_zip", "a truncated .xlsx gets a message, not a traceback", _broken_zip, suffix=".xlsx",
         outcome="refused", words=("Excel",)),
    Case("random_bytes", "random bytes get a message, not a traceback", _garbage, outcome="refused"),
    Case("empty", "an empty file", _write_text(""), outcome="refused", words=("空",)),
    Case("bom_only", "a file that is only a BOM", lambda p: p.write_bytes(codecs.BOM_UTF8), outcome="refused",
         words=("空",)),
    Case("unterminated_quote", "a quote never closed gets a message, not a traceback", _unterminated,
         outcome="any"),
]


def write_corpus(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for case in CASES:
        p = folder / f"{case.name}{case.suffix}"
        case.make(p)
        out[case.name] = p
    return out


if __name__ == "__main__":
    for name, path in write_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")).items():
        print(f"{name}\t{path}\t{path.stat().st_size} bytes")
