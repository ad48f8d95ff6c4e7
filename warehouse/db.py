"""One connection factory for the whole product.

``--db`` takes a DuckDB file path or any SQLAlchemy URL.  DuckDB allows one writing process per
file, so connections are short-lived (``NullPool``) and opening one waits, with back-off, while
another process (the dashboard, or a loader run from the CLI) holds the file.  That is what lets
a CLI load run while ``make run`` is serving: neither side keeps the file locked between queries.

Within one process, every connection to a DuckDB file is a cursor of ONE shared database instance
(``SharedDuckDB``), opened when the first connection starts and closed when the last one ends, under
a lock.  Opening the file anew for each of many concurrent sessions raced ("Unique file handle
conflict … already attached") when managers opened the dashboard together.
"""
from __future__ import annotations

import atexit
import contextlib
from dataclasses import dataclass, field
import os
import sys
from pathlib import Path
import threading
import time
from typing import Iterator

from duckdb_engine import ConnectionWrapper
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import texts
from texts.errors import DomainError
from warehouse import clickhouse, staging
from warehouse.schema import ensure_schema

DEFAULT_DB = "data/warehouse.duckdb"
LOCK_WAIT_SECONDS = float(os.environ.get("CSDASH_LOCK_WAIT", "120"))
# How long an idle DuckDB file stays open in this process after its last connection closed: opening
# it costs tens of milliseconds (every query of a page would pay it), keeping it open makes another
# process's load wait at most this long (it retries, see LOCK_WAIT_SECONDS).
IDLE_CLOSE_SECONDS = float(os.environ.get("CSDASH_IDLE_CLOSE", "1.0"))


_writers: dict[str, threading.Lock] = {}   # one load at a time per ClickHouse warehouse in this process


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class SharedDuckDB:
    """One DuckDB database instance per file in this process, open while any connection uses it."""

    _registry: dict[str, "SharedDuckDB"] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.writer = threading.Lock()   # one load at a time in this process (Warehouse.writing)
        self.base = None
        self.users = 0
        self.idle: threading.Timer | None = None

    @classmethod
    def for_path(cls, path: str) -> "SharedDuckDB":
        with cls._registry_lock:
            return cls._registry.setdefault(path, cls(path))

    def connect(self) -> "SharedConnection":
        """A DB-API connection (a cursor of the shared instance) that releases it when closed.  Raises
        DuckDB's lock error while another process writes the file (the caller retries)."""
        import duckdb

        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
                self.idle = None
            if self.base is None:
                self.base = duckdb.connect(self.path)
            self.users += 1
            try:
                cursor = self.base.cursor()
            except BaseException:
                self._drop_user()
                raise
        return SharedConnection(cursor, self)

    def release(self, cursor) -> None:
        with self.lock:
            try:
                cursor.close()
            finally:
                self._drop_user()

    def _drop_user(self) -> None:
        self.users -= 1
        if self.users == 0 and self.base is not None:
            if IDLE_CLOSE_SECONDS <= 0:
                self._close()
            else:   # closed when idle a moment: the next query of the same page reuses it
                self.idle = threading.Timer(IDLE_CLOSE_SECONDS, self.close_if_idle)
                self.idle.daemon = True
                self.idle.start()

    def _close(self) -> None:
        base, self.base = self.base, None
        if base is not None:
            base.close()   # the file is free for another process (a CLI load)

    def close_if_idle(self) -> None:
        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
            self.idle = None
            if self.users == 0:
                self._close()

    @classmethod
    def close_all_idle(cls) -> None:
        """At exit: a file left open by the idle delay is closed cleanly (checkpointed, no leaks)."""
        for shared in list(cls._registry.values()):
            shared.close_if_idle()


atexit.register(SharedDuckDB.close_all_idle)


class SharedConnection(ConnectionWrapper):
    """duckdb-engine's connection around a cursor of a ``SharedDuckDB``; closing it releases the cursor."""

    def __init__(self, cursor, shared: SharedDuckDB):
        super().__init__(cursor)
        self._cursor, self._shared = cursor, shared

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._shared.release(self._cursor)


def actor() -> str:
    """Who is acting, for every log and audit column: ``CSDASH_USER``, else the login name.  The one
    definition for the loaders, the command lines and the app."""
    import getpass

    try:
        return os.environ.get("CSDASH_USER") or getpass.getuser()
    except Exception:   # no login name (a container without a passwd entry)
        return "unknown"


def to_url(db: str) -> str:
    """A path becomes a DuckDB URL; anything with ``://`` is taken as a SQLAlchemy URL."""
    if "://" in db:
        return db
    path = Path(db).expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{path}"


# SQL that differs between the engines, one row per function (the builder's SQL is otherwise the same)
SQL_FUNCTIONS = {
    "sha256_hex": {"duckdb": "sha256({})", "postgresql": "encode(sha256(convert_to({}, 'UTF8')), 'hex')"},
}


def sql_function(dialect: str, name: str, expr: str) -> str:
    """``name`` applied to the SQL ``expr`` on ``dialect``: e.g. sha256_hex → the lowercase hex
    digest of the text's UTF-8 bytes, as Python's ``hashlib.sha256(...).hexdigest()``."""
    return SQL_FUNCTIONS[name][dialect].format(expr)


@dataclass
class Warehouse:
    url: str
    engine: sa.Engine = field(repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name  # "duckdb" or "postgresql"

    @property
    def is_duckdb(self) -> bool:
        return self.dialect == "duckdb"

    @property
    def is_clickhouse(self) -> bool:
        return self.dialect == clickhouse.DIALECT

    def _retry(self, open_fn):
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = 0.02
        while True:
            try:
                return open_fn()
            except Exception as exc:  # duckdb raises IOException, SQLAlchemy wraps it in DBAPIError
                if not (self.is_duckdb and _is_lock_error(exc)) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A short-lived connection (autocommit per statement unless a transaction is begun)."""
        conn = self._retry(self.engine.connect)
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held around a load's transaction: one load at a time.  On DuckDB the sessions of one app
        share one database instance, and two loads rewriting the same roll-up months would end in
        "Conflict on tuple deletion" (another process cannot open the file meanwhile); on
        PostgreSQL the load's transaction takes ``LOCK TABLE load_log`` itself, across replicas."""
        if self.is_duckdb:
            with SharedDuckDB.for_path(self.url[len("duckdb:///"):]).writer:
                yield
        elif self.is_clickhouse:   # across processes: the load's claim (warehouse/staging.py)
            with _writers.setdefault(self.url, threading.Lock()):
                yield
        else:
            yield

    @property
    def owns_all_loads(self) -> bool:
        """No other process can be loading into this warehouse (a chDB folder belongs to one process):
        a load found half-staged is dead and can be rolled back at once."""
        return self.url.startswith(clickhouse.CHDB_SCHEME)

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A short-lived connection inside one transaction: committed on success, else rolled back."""
        with self.connect() as conn:
            with conn.begin():
                yield conn

    def data_version(self) -> int:
        """A token that changes whenever data is loaded: caches key on it."""
        with self.connect() as conn:
            return int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) FROM load_log")).scalar())

    def dispose(self) -> None:
        self.engine.dispose()
        clickhouse.release_chdb(self.url)
        if self.is_duckdb and self.url.startswith("duckdb:///") and "?" not in self.url:
            SharedDuckDB.for_path(self.url[len("duckdb:///"):]).close_if_idle()   # the file free at once


_ROW_STATEMENTS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "PRAGMA", "EXPLAIN", "VALUES", "FROM")


def _complete_duckdb_statements(engine: sa.Engine) -> None:
    """DuckDB 2 streams results lazily and *aborts* a statement whose result is still unread when
    the next statement starts on the same connection: an INSERT … SELECT of a large table would
    silently insert nothing.  SQLAlchemy never reads the row count a DML statement returns, so
    read it here, for every statement that is not a query."""

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _finish(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        words = statement.lstrip("( \n\t").split(None, 1)
        if words and words[0].upper() not in _ROW_STATEMENTS:
            cursor.complete()


def settle(conn: sa.Connection) -> None:
    """Finish any partly read DuckDB result on ``conn`` (``scalar()`` reads one row and leaves the
    rest pending), so driver-level calls such as ``register`` may follow."""
    if conn.dialect.name == "duckdb":
        conn.connection.driver_connection.complete()


def open_warehouse(db: str = DEFAULT_DB, *, create: bool = True) -> Warehouse:
    """Open (and by default create or upgrade) the warehouse at ``db``."""
    url = to_url(db)
    kwargs = {}
    if url.startswith("duckdb:///") and "?" not in url:
        kwargs["creator"] = SharedDuckDB.for_path(url[len("duckdb:///"):]).connect
    if clickhouse.is_clickhouse(url):   # pooled: a chDB client is the engine itself, kept open
        clickhouse.claim_chdb(url)
        engine = sa.create_engine(clickhouse.engine_url(url))
        clickhouse.install(engine)
    else:
        engine = sa.create_engine(url, poolclass=NullPool, **kwargs)
    if engine.dialect.name == "duckdb":
        _complete_duckdb_statements(engine)
    wh = Warehouse(url=url, engine=engine)
    if create:
        ensure_schema(wh)
    if wh.owns_all_loads:   # a load this folder's last process left half done: finished or undone
        with wh.writing(), wh.connect() as conn:
            staging.recover(conn, roll_back_all=True)
    return wh


def cli_texts(argv: list[str] | None = None):
    """``text(id, **params)`` in the language the command line asks for (``--lang``), read before the
    parser exists, so that its help is in that language too."""
    argv = sys.argv[1:] if argv is None else argv
    lang = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--lang"), None)
    lang = next((a.split("=", 1)[1] for a in argv if a.startswith("--lang=")), lang)
    return lambda text_id, **params: texts.text(text_id, lang, **params)


def command_parser(prog: str, description: str, argv: list[str] | None = None):
    """The top of every command line here: ``--db`` (DuckDB file or SQLAlchemy URL) and subcommands."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=description)
    say = cli_texts(argv)
    parser.add_argument("--db", default=DEFAULT_DB, help=say("cli.h.db", default=DEFAULT_DB))
    parser.add_argument("--lang", choices=list(texts.LANGS), default=texts.DEFAULT, help=say("cli.h.lang"))
    return parser, parser.add_subparsers(dest="command", required=True)


def run_command(args) -> int:
    """Run ``args.func(args, warehouse)`` for a command line (no warehouse for ``no_db`` commands); a
    domain error is exit 2 with its message on stderr in the language asked.  Shared by every CLI."""
    wh = None if getattr(args, "no_db", False) else open_warehouse(args.db)
    try:
        return args.func(args, wh)
    except DomainError as exc:
        print(f"错误 error: {exc.render(getattr(args, 'lang', None))}", file=sys.stderr)
        return 2
    finally:
        if wh is not None:
            wh.dispose()
