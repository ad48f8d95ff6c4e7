"""Command line: the monthly review pack.

    python -m reports --db data/warehouse.duckdb pack --month 2026-10 [--region 华东 | --store 上海徐汇店 | --team 售后一组] --out 复盘.pdf|复盘.xlsx [--refresh] [--by 姓名] [--lang en]

The pack of that month and scope is built and frozen on first use; later calls export the stored
figures unchanged.  ``--refresh`` rebuilds it from the current data (logged with ``--by``).
Exit codes: 0 done; 2 a bad argument (month, scope, output type) with the reason on stderr.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import sys

from metrics import Scope
from metrics.__main__ import run
from metrics.months import month_arg
from reports.errors import ReportError
from reports.excel import write_excel
from reports.pack import PackScope, actions, comments, create
from reports.pdf import write_pdf
import texts
from warehouse.db import actor, command_parser


def cmd_pack(args, wh) -> int:

    level, value = next(((k, getattr(args, k)) for k in ("region", "store", "team") if getattr(args, k)), ("all", None))
    scope = PackScope(level, value)
    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ReportError("report.bad_out", name=out.name)
    pack = create(wh, args.month, scope, viewer=Scope.all(), by=args.by or actor(), refresh=args.refresh)
    extra = dict(comments=comments(wh, pack.pack_id), actions=actions(wh, args.month, scope), lang=args.lang)
    (write_pdf if out.suffix.lower() == ".pdf" else write_excel)(pack, out, **extra)
    print(f"{out}  {args.month}  {scope.label()}  （生成于 {pack.meta['created_at']}"
          f"{'，刷新于 ' + pack.meta['refreshed_at'] if pack.meta.get('refreshed_at') else ''}）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p, sub = command_parser("python -m reports", "客服运营驾驶舱 月度复盘材料")
    k = sub.add_parser("pack", help="生成（或导出已冻结的）月度复盘材料")
    k.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    who = k.add_mutually_exclusive_group()
    who.add_argument("--region", help="只看这个区域")
    who.add_argument("--store", help="只看这个门店")
    who.add_argument("--team", help="只看这个班组")
    k.add_argument("--out", required=True, help="输出文件：.pdf 或 .xlsx")
    k.add_argument("--refresh", action="store_true", help="按当前数据重新生成（记录操作人）")
    k.add_argument("--by", help="操作人（默认当前系统用户）")
    k.add_argument("--lang", choices=list(texts.LANGS), default=argparse.SUPPRESS, help="同顶层 --lang")
    k.set_defaults(func=cmd_pack)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
