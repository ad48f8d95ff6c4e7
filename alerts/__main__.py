"""``python -m alerts --db DB run [--month YYYY-MM] [--dry-run] [--channels FILE]``: evaluate every alert
rule and send what is new (alerts/notify.py).  Scheduling is the system's: cron or a systemd timer
(README)."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from alerts import engine, notify
from metrics import catalog
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
    args = p.parse_args(argv)
    wh = open_warehouse(args.db or os.environ.get("CSDASH_DB") or "data/warehouse.duckdb")
    try:
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
    except DomainError as exc:
        print(exc.render("zh"), file=sys.stderr)
        return 2
    finally:
        wh.dispose()


if __name__ == "__main__":
    sys.exit(main())
