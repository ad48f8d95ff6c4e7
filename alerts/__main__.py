"""``python -m alerts --db DB run [--month YYYY-MM] [--dry-run] [--channels FILE]``: evaluate every alert
rule and send what is new (alerts/notify.py).

``python -m alerts --db DB report weekly --week 2026-W45 --to 频道[,频道] [--dry-run]`` and
``… report notice --month 2026-10 [--department D | --region R] --to …``: send the frozen complaint
report (reports/complaints.py) — robots the summary and the link, e-mail the PDF and the Excel file.
Scheduling is the system's: cron or a systemd timer (README)."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from alerts import engine, notify
from metrics import Scope, catalog
from reports import complaints as complaint_reports
from texts.errors import DomainError
from warehouse import open_warehouse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m alerts", description="预警：检查规则并发送新的预警")
    p.add_argument("--db", default=None, help="DuckDB 文件或 SQLAlchemy URL（默认 CSDASH_DB）")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="检查所有启用的规则，发送新的预警")
    r.add_argument("--month", help="检查的月份（默认：最新的完整月份）")
    r.add_argument("--today", help="今天（按日的规则：昨日装机回访、逾期行动项），默认系统日期")
    r.add_argument("--dry-run", action="store_true", help="只打印将要发送的内容，不发送")
    r.add_argument("--channels", help="通知渠道文件（默认 CSDASH_CHANNELS 或 data/channels.toml）")
    rp = sub.add_parser("report", help="发送投诉周报或月度通报（机器人：摘要与链接；邮件：PDF 与 Excel 附件）")
    rp.add_argument("kind", choices=complaint_reports.KINDS)
    rp.add_argument("--week", help="周报的 ISO 周，如 2026-W45")
    rp.add_argument("--month", help="通报的月份，如 2026-10")
    to = rp.add_mutually_exclusive_group()
    to.add_argument("--department", help="通报的责任部门")
    to.add_argument("--region", help="通报的区域")
    rp.add_argument("--to", required=True, help="通知渠道名，逗号分隔（见通知渠道文件）")
    rp.add_argument("--dry-run", action="store_true", help="只打印将要发送的内容，不发送")
    rp.add_argument("--channels", help="通知渠道文件（默认 CSDASH_CHANNELS 或 data/channels.toml）")
    args = p.parse_args(argv)
    wh = open_warehouse(args.db or os.environ.get("CSDASH_DB") or "data/warehouse.duckdb")
    try:
        return (report if args.cmd == "report" else run)(args, wh)
    except DomainError as exc:
        print(exc.render("zh"), file=sys.stderr)
        return 2
    finally:
        wh.dispose()


def run(args, wh) -> int:
    config = notify.load_config(args.channels)
    month = args.month or catalog.default_month(wh)
    if month is None:
        print("仓库中没有数据", file=sys.stderr)
        return 1
    today = date.fromisoformat(args.today) if args.today else date.today()
    new = engine.evaluate(wh, month=month, today=today, by="python -m alerts")
    print(f"新预警 {len(new)} 条")
    counts = notify.send(wh, config, dry_run=args.dry_run)
    print(f"已发送 {counts['sent']}，失败 {counts['failed']}" + (
        f"，将发送 {counts['would_send']}（--dry-run）" if args.dry_run else ""))
    return 0 if counts["failed"] == 0 else 3


def report(args, wh) -> int:
    config = notify.load_config(args.channels)
    period = args.week if args.kind == "weekly" else args.month
    if not period:
        print("周报需要 --week，通报需要 --month", file=sys.stderr)
        return 2
    level, value = next(((k, getattr(args, k)) for k in ("department", "region") if getattr(args, k)), ("all", None))
    rep = complaint_reports.create(wh, args.kind, period, level=level if args.kind == "notice" else "all",
                                   value=value if args.kind == "notice" else None, viewer=Scope.all(),
                                   by="python -m alerts")
    name = rep.label().replace(" · ", "_")
    files = ((f"{name}.pdf", complaint_reports.pdf_bytes(rep), "application/pdf"),
             (f"{name}.xlsx", complaint_reports.workbook(rep),
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    counts = notify.send_report(wh, config, rep, [n for n in notify._SPLIT.split(args.to) if n], files,
                                dry_run=args.dry_run)
    print(f"已发送 {counts['sent']}，失败 {counts['failed']}，跳过 {counts['skipped']}" + (
        f"，将发送 {counts['would_send']}（--dry-run）" if args.dry_run else ""))
    return 0 if counts["failed"] == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
