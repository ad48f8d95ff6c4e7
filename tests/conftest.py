"""Shared fixtures: fresh warehouses on DuckDB and on a throwaway PostgreSQL server.

The PostgreSQL server is a cluster in a temporary directory, started once per test session with
the Debian ``postgresql`` binaries (``make test`` installs them) and run as the unprivileged
``postgres`` user when the tests run as root.  Each test gets its own database.  Outside CI a
machine without the binaries skips the PostgreSQL half; in CI (``CI=true``) that is a failure.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="csdash-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            os.chmod(self.dir, 0o700)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        data = self.dir / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import sqlalchemy as sa

        name = "t_" + uuid.uuid4().hex[:12]
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server():
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries missing in CI: make test should have installed them")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["duckdb", "postgresql"])
def db(request, tmp_path) -> str:
    """A fresh, empty warehouse location: a DuckDB file, or a new PostgreSQL database."""
    if request.param == "duckdb":
        return str(tmp_path / "warehouse.duckdb")
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def wh(db):
    from warehouse import open_warehouse

    warehouse = open_warehouse(db)
    yield warehouse
    warehouse.dispose()


@pytest.fixture
def duck_wh(tmp_path):
    from warehouse import open_warehouse

    warehouse = open_warehouse(str(tmp_path / "warehouse.duckdb"))
    yield warehouse
    warehouse.dispose()


def shared_warehouse(request, tmp_path_factory, load):
    """A module-scoped warehouse on ``request.param`` (duckdb / postgresql), filled once by ``load(wh)``
    and then read by every test of the module."""
    from warehouse import open_warehouse

    if request.param == "duckdb":
        db = str(tmp_path_factory.mktemp("shared") / "warehouse.duckdb")
    else:
        db = request.getfixturevalue("pg_server").create_database()
    warehouse = open_warehouse(db)
    load(warehouse)
    return warehouse
