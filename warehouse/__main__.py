"""Command line: ``python -m warehouse --db DB viewers …`` — who may use the dashboard.

    viewers list                                   every viewer as CSV (e-mail, name, role, scope)
    viewers add EMAIL --role admin [--name N] [--subject SUB] [--region R]… [--store S]… [--team T]…
    viewers set EMAIL [--role …] [--name …] [--region …]…   change a viewer (levels given replace the old)
    viewers remove EMAIL
    viewers import FILE.xlsx                       邮箱, 姓名, 角色, 区域, 门店, 班组 (every problem at once)
    viewers template FILE.xlsx                     the current list in that shape
    audit [--limit N]                              the audit log as CSV
    copy --from URL --to URL                       the whole warehouse into an empty one on another engine
                                                   (DuckDB file, postgresql://…, chdb://FOLDER, clickhousedb://…)
    auth --metadata URL --client-id ID --client-secret S --redirect-uri URI [--file F] [--force]
                                                   writes [auth] into .streamlit/secrets.toml with a
                                                   freshly generated cookie_secret (never committed)

Exit codes: 0 done; 2 refused (the message on stderr names every problem).  Who acted: ``CSDASH_USER``,
else the OS user (``warehouse.db.actor``).  Every change is audited.
"""
from __future__ import annotations

import csv
from dataclasses import replace
import os
from pathlib import Path
import secrets
import sys
import tomllib

import tomli_w

import texts
from warehouse import access
from warehouse.clickhouse import cluster_ddl
from warehouse.copy import copy_warehouse
from warehouse.db import cli_texts, command_parser, open_warehouse, run_command
from warehouse.errors import WarehouseError
from warehouse.safety import spreadsheet_safe
from warehouse.schema import EVENTS, KEYS, metadata


def _csv(header: list[str], rows: list[list]) -> None:
    w = csv.writer(sys.stdout)
    w.writerow(header)
    for r in rows:
        w.writerow([spreadsheet_safe(v) if isinstance(v, str) else v for v in r])


def _scope_args(args) -> dict:
    """The levels given on the command line (a level not given is left as it was)."""
    return {level: tuple(getattr(args, level)) for level in access.LEVELS if getattr(args, level) is not None}


def cmd_viewers(args, wh) -> int:
    say = lambda key, **kw: texts.text(key, args.lang, **kw)   # noqa: E731
    if args.action == "list":
        _csv(["email", "name", "role", "regions", "stores", "teams"],
             [[v.email, v.name, v.role, *("、".join(getattr(v, lv)) for lv in access.LEVELS)] for v in access.viewers(wh)])
        return 0
    if args.action in ("import", "template"):
        if not args.target:
            raise WarehouseError("viewer.need_file", action=args.action)
        if args.action == "template":
            access.write_viewers_template(args.target, access.viewers(wh))
            print(say("cli.written", path=args.target))
        else:
            n = access.save_viewers(wh, access.read_viewers_excel(args.target))
            print(say("viewer.saved", n=n))
        return 0
    if not args.target:
        raise WarehouseError("viewer.need_email", action=args.action)
    current = access.get_viewer(wh, args.target)
    if args.action == "remove":
        if not access.remove_viewer(wh, args.target):
            raise WarehouseError("viewer.unknown", email=args.target)
        print(say("viewer.removed", email=access.normalise_email(args.target)))
        return 0
    if args.action == "set" and current is None:
        raise WarehouseError("viewer.unknown", email=args.target)
    if args.action == "add" and current is not None:
        raise WarehouseError("viewer.exists", email=current.email)
    base = current or access.Viewer(args.target, role=args.role or "viewer")
    changes = {k: v for k, v in (("role", args.role), ("name", args.name), ("subject", args.subject)) if v is not None}
    n = access.save_viewers(wh, [replace(base, **changes, **_scope_args(args))])
    print(say("viewer.saved", n=n))
    return 0


def cmd_audit(args, wh) -> int:
    rows = access.audit_rows(wh, args.limit)
    _csv(["logged_at", "actor", "action", "target", "detail"],
         [[str(r["logged_at"]), r["actor"], r["action"], r["target"], r["detail"]] for r in rows])
    return 0


def cmd_auth(args, wh) -> int:   # noqa: ARG001 - no warehouse needed, same signature as the others
    """Sign-in set-up: the ``[auth]`` section Streamlit's st.login reads, with a cookie secret generated
    here (the file is git-ignored).  An existing ``[auth]`` is kept unless ``--force``."""
    path = Path(args.file)
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if "auth" in data and not args.force:
        raise WarehouseError("auth.exists", file=str(path))
    data["auth"] = {"redirect_uri": args.redirect_uri, "cookie_secret": secrets.token_urlsafe(32),
                    "client_id": args.client_id, "client_secret": args.client_secret,
                    "server_metadata_url": args.metadata}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.chmod(path, 0o600)
    print(texts.text("auth.written", args.lang, file=str(path)))
    return 0


def cmd_copy(args, wh) -> int:   # noqa: ARG001 - opens its two warehouses itself
    """Every table from ``--from`` into the empty ``--to`` (``warehouse/copy.py``), a line per table."""
    source = open_warehouse(args.source, create=False)
    target = open_warehouse(args.target)
    try:
        copied = copy_warehouse(source, target, progress=lambda table, n: print(
            texts.text("copy.table", args.lang, table=table, n=f"{n:,}"), flush=True))
    finally:
        source.dispose()
        target.dispose()
    print(texts.text("copy.done", args.lang, tables=len(copied), rows=f"{sum(copied.values()):,}"))
    return 0


def cmd_cluster_ddl(args, wh) -> int:   # noqa: ARG001 - prints, touches no warehouse
    """The DDL of the warehouse on a ClickHouse cluster, for its operator to run (docs/scaling.md)."""
    for statement in cluster_ddl(args.cluster, metadata.sorted_tables, KEYS, EVENTS):
        print(statement + ";")
    return 0


def build_parser(argv: list[str] | None = None):
    say = cli_texts(argv)
    p, sub = command_parser("python -m warehouse", say("cli.h.warehouse.about"), argv)
    v = sub.add_parser("viewers", help=say("cli.h.warehouse.viewers"))
    v.add_argument("action", choices=["list", "add", "set", "remove", "import", "template"])
    v.add_argument("target", nargs="?", metavar="EMAIL|FILE")
    v.add_argument("--role", choices=list(access.ROLES))
    v.add_argument("--name")
    v.add_argument("--subject", help=say("cli.h.warehouse.subject"))
    for level, flag in (("regions", "--region"), ("stores", "--store"), ("teams", "--team")):
        v.add_argument(flag, dest=level, action="append", metavar=level[:-1].upper(),
                       help=say("cli.h.warehouse.level", level=say(f"level.{level[:-1]}")))
    v.set_defaults(func=cmd_viewers)
    a = sub.add_parser("audit", help=say("cli.h.warehouse.audit"))
    a.add_argument("--limit", type=int, default=1000)
    a.set_defaults(func=cmd_audit)
    au = sub.add_parser("auth", help=say("cli.h.warehouse.auth"))
    au.add_argument("--metadata", required=True, metavar="URL", help=say("cli.h.warehouse.metadata"))
    au.add_argument("--client-id", required=True)
    au.add_argument("--client-secret", required=True)
    au.add_argument("--redirect-uri", required=True, metavar="URI", help=say("cli.h.warehouse.redirect"))
    au.add_argument("--file", default=".streamlit/secrets.toml")
    au.add_argument("--force", action="store_true")
    au.set_defaults(func=cmd_auth, no_db=True)
    c = sub.add_parser("copy", help=say("cli.h.copy"))
    c.add_argument("--from", dest="source", required=True, metavar="URL", help=say("cli.h.copy_from"))
    c.add_argument("--to", dest="target", required=True, metavar="URL", help=say("cli.h.copy_to"))
    c.set_defaults(func=cmd_copy, no_db=True)
    cd = sub.add_parser("cluster-ddl", help=say("cli.h.cluster_ddl"))
    cd.add_argument("--cluster", required=True, metavar="NAME", help=say("cli.h.cluster_name"))
    cd.set_defaults(func=cmd_cluster_ddl, no_db=True)
    return p


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(argv).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
