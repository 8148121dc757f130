"""Fixtures for the app tests: a throwaway PostgreSQL cluster for the audit-log suite.

The cluster comes from Debian's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``): ``initdb``
into a temporary directory, ``pg_ctl start`` on a free loopback port with the unix socket in that
directory. As root, both run as the ``postgres`` user (PostgreSQL refuses to run as root).
Tests that need it skip with a clear reason only when the binaries are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A running throwaway cluster; ``new_database()`` gives each test its own database."""

    def __init__(self, bindir: Path, base: Path, port: int, run_as: list[str]):
        self.bindir, self.base, self.port, self.run_as = bindir, base, port, run_as
        self.data = base / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        from sqlalchemy import create_engine, text

        name = "tda_" + uuid.uuid4().hex[:12]
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def checkpoint(self) -> None:
        """Force PostgreSQL to write its buffers to the data files (for byte scans)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("CHECKPOINT"))
        finally:
            engine.dispose()

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        r = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C", "--no-sync")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr[-2000:]}")
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=100")
        r = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                      "-o", opts, "-w", "-t", "60", "start")
        if r.returncode != 0:
            log = (self.base / "server.log").read_text(errors="replace") if (self.base / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr[-1000:]} {log[-2000:]}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL cluster on loopback for this test session (skips if PostgreSQL is not installed)."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = shutil.which("initdb")
    if not initdbs and not found:
        pytest.skip("PostgreSQL binaries not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH); "
                    "run scripts/install-system-deps.sh")
    bindir = Path(initdbs[-1] if initdbs else found).parent
    base = Path(tempfile.mkdtemp(prefix="tda-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to run initdb/pg_ctl")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        if not runuser:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and runuser (util-linux) is missing to start PostgreSQL as 'postgres'")
        run_as = [runuser, "-u", "postgres", "--"]
    server = PgServer(bindir, base, _free_port(), run_as)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
