"""Bulk import of the 1M labelled file through the HTTP API, then GET latency under load.

    make bench-registry                 # BENCH_ROWS=100000 make bench-registry for a quick run

Starts its own stack (PostgreSQL with fsync off, the broker, every service, Envoy) on free
ports, uploads `../shared/bench/bd_1000000_s42.parquet` (or its first BENCH_ROWS rows) to
`POST /registry/imports` through the gateway as an operator, polls `GET /registry/imports/{id}`
until the job ends, sampling the peak RSS (VmHWM) of every process, and prints one JSON line.
`rows_per_s` is end to end: from the first byte uploaded to the job's end.

The import's events wait in the outbox while it runs (the relay yields to the chunks). The GET
phases then wait until the relay has published that backlog (`outbox_drain_s`; at most
BENCH_DRAIN_TIMEOUT s, default 1800; `outbox_pending_at_get` says what was left), so that they
measure reads, not reads competing with the relay. BENCH_DRAIN_TIMEOUT=0 measures them during
the drain instead.

`GET /registry/persons/{id}` on random stored persons (as their registering ministry), with the
lean HTTP/1.1 client of `benchmarks/http_load.py` (httpx took as much CPU as the server):

* closed loop: BENCH_CLIENTS (50) connections, each sending its next request when the answer
  arrives, for BENCH_GET_SECONDS (10): `get_rps`, `get_p50_ms`, `get_p99_ms`. This measures
  saturation: latency is then clients / throughput (Little's law).
* open loop: the same connections sharing BENCH_FIXED_RATE (1000) requests/s for
  BENCH_FIXED_SECONDS (5), each request timed from when it was due:
  `get_fixed_rate_p50_ms`, `get_fixed_rate_p99_ms` (the latency a client sees below saturation).

`get_cpu_pct` is the CPU each process used during the closed-loop phase (% of one core; the
machine has `cores`), `loadavg_at_get` the load average before the GET phases, `machine` readings
of the machine taken before the import (`benchmarks/machine.py`). Matching and
minutes are stopped (BENCH_ALL_SERVICES=1 keeps them). BENCH_STACK_NAME (default
bench-registry) names the stack's directory and database cluster, so that two benchmarks on
one machine do not delete each other's.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pyarrow.parquet as pq
import uvloop

from benchmarks.http_load import LoadResult, run_load
from benchmarks.machine import machine_readings
from devstack.postgres import EmbeddedPostgres
from devstack.procs import free_port
from devstack.stack import Stack, StackOptions
from services.gateway.routes import load_routes
from tests.paths import BENCH_DIR

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
GET_SECONDS = float(os.environ.get("BENCH_GET_SECONDS", "10"))
GET_MAX_REQUESTS = int(os.environ.get("BENCH_GET_MAX_REQUESTS", "200000"))
FIXED_RATE = float(os.environ.get("BENCH_FIXED_RATE", "1000"))
FIXED_SECONDS = float(os.environ.get("BENCH_FIXED_SECONDS", "5"))
DRAIN_TIMEOUT_S = float(os.environ.get("BENCH_DRAIN_TIMEOUT", "1800"))
STACK_NAME = os.environ.get("BENCH_STACK_NAME", "bench-registry")
MINISTRY = "CD"  # the Cabinet Division uploads the all-ministries file as an operator


def _free_port_environ() -> dict[str, str]:
    routes = load_routes(environ={})
    variables = [s.port_variable for s in routes.services]
    variables += [routes.portal_port_variable, routes.gateway_port_variable, routes.admin_port_variable]
    return {variable: str(free_port()) for variable in variables}


def _children(pid: int) -> list[int]:
    """Child processes (uvicorn's workers when WEB_CONCURRENCY > 1)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _with_workers(pids: dict[str, int]) -> dict[str, int]:
    found = dict(pids)
    for name, pid in pids.items():
        if not name.startswith("postgres"):
            for n, child in enumerate(_children(pid), start=1):
                found[f"{name}/{n}"] = child
    return found


def _cpu_s(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_mb(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _vm_hwm_mb(pid: int) -> float | None:
    return _status_mb(pid, "VmHWM")


class RssSampler(threading.Thread):
    """Peak RSS of each process: VmHWM is already a peak; sampling keeps the last value seen
    should a process exit before the end."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peaks: dict[str, float] = {}
        # RssAnon, sampled: a PostgreSQL backend's RSS also counts the pages of the shared buffer
        # cache it touched (up to `shared_buffers`, shared by all), this is its own memory
        self.private_peaks: dict[str, float] = {}
        self.stopped = threading.Event()

    def sample(self) -> None:
        for name, pid in self.pids.items():
            value = _vm_hwm_mb(pid)
            if value is not None:
                self.peaks[name] = max(self.peaks.get(name, 0.0), value)
            private = _status_mb(pid, "RssAnon")
            if private is not None:
                self.private_peaks[name] = max(self.private_peaks.get(name, 0.0), private)

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.sample()


def _postgres_pids(data_dir: Path | None) -> dict[str, int]:
    """The postmaster and its backends (each PostgreSQL backend is a process of its own)."""
    if data_dir is None or not (data_dir / "postmaster.pid").exists():
        return {}
    postmaster = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    pids = {"postgres": postmaster}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split()[3]) == postmaster:
                    pids[f"postgres:{entry.name}"] = int(entry.name)
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _source_file(rows: int | None) -> tuple[Path, int]:
    source = BENCH_DIR / "bd_1000000_s42.parquet"
    total = pq.ParquetFile(source).metadata.num_rows
    if not rows or rows >= total:
        return source, total
    table = pq.read_table(source).slice(0, rows)
    target = Path(tempfile.gettempdir()) / f"bench_registry_{rows}.parquet"
    pq.write_table(table, target)
    return target, rows


async def _upload_and_wait(gateway: str, path: Path, sampler: RssSampler, chunk_rows: int | None) -> dict:
    async with httpx.AsyncClient(base_url=gateway, timeout=600) as client:
        started = time.perf_counter()
        with path.open("rb") as handle:
            data = {"chunk_rows": str(chunk_rows)} if chunk_rows else {}
            response = await client.post("/registry/imports", files={"file": (path.name, handle)}, data=data,
                                         headers={"X-Ministry-Code": MINISTRY, "X-Roles": "operator"})
        response.raise_for_status()
        uploaded = time.perf_counter() - started
        job = response.json()
        while job["status"] not in ("succeeded", "failed"):
            await asyncio.sleep(0.5)
            sampler.sample()
            job = (await client.get(f"/registry/imports/{job['id']}", headers={"X-Ministry-Code": MINISTRY})).json()
        job["wall_s"] = time.perf_counter() - started
        job["upload_s"] = uploaded
        return job


async def _wait_drained(database_url: str, timeout_s: float) -> tuple[float | None, float, int]:
    """Wait until the relay has published the import's events (no pending outbox row), at most
    `timeout_s`. Returns (seconds until drained or None, seconds waited, rows still pending)."""
    connection = await asyncpg.connect(database_url)
    started = time.perf_counter()
    try:
        while True:
            # EXISTS on the partial pending index: counting millions of rows every second would
            # compete with the relay it waits for.
            pending = await connection.fetchval(
                "SELECT EXISTS (SELECT FROM registry.outbox WHERE sent_at IS NULL)")
            waited = time.perf_counter() - started
            if not pending:
                return waited, waited, 0
            if waited >= timeout_s:
                left = await connection.fetchval("SELECT count(*) FROM registry.outbox WHERE sent_at IS NULL")
                return None, waited, left
            await asyncio.sleep(min(1.0, max(timeout_s - waited, 0.01)))
    finally:
        await connection.close()


async def _sample_persons(database_url: str, n: int) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT id::text, registered_by FROM registry.persons TABLESAMPLE SYSTEM (2) LIMIT $1", n)
        if len(rows) < min(n, 100):
            rows = await connection.fetch("SELECT id::text, registered_by FROM registry.persons LIMIT $1", n)
    finally:
        await connection.close()
    return [(r[0], r[1]) for r in rows]


def _ms(result: LoadResult, q: float) -> float | None:
    return result.quantile_ms(q)


async def _get_load(gateway: str, persons: list[tuple[str, str]],
                    processes: Callable[[], dict[str, int]]) -> dict[str, object]:
    requests = [(f"/persons/{person_id}", {"X-Ministry-Code": ministry}) for person_id, ministry in persons]
    base = f"{gateway}/registry"
    # warm-up (not measured): connections, prepared statements on every pooled connection
    await run_load(base, requests, clients=CLIENTS, seconds=2)
    cpu_pids = processes()  # after the warm-up, which opened the pool's PostgreSQL backends
    cpu_before = {name: _cpu_s(pid) for name, pid in cpu_pids.items()}
    closed = await run_load(base, requests, clients=CLIENTS, seconds=GET_SECONDS, max_requests=GET_MAX_REQUESTS)
    cpu_pct: dict[str, float] = {}
    for name, pid in cpu_pids.items():
        before, after = cpu_before.get(name), _cpu_s(pid)
        if before is not None and after is not None:
            group = "postgres" if name.startswith("postgres") else name
            cpu_pct[group] = cpu_pct.get(group, 0.0) + 100 * (after - before) / closed.elapsed_s
    cpu_pct["client"] = closed.client_cpu_pct
    fixed = await run_load(base, requests, clients=CLIENTS, seconds=FIXED_SECONDS, rate=FIXED_RATE)
    return {
        "get_requests": closed.requests, "get_errors": closed.errors, "get_rps": round(closed.rps),
        "get_p50_ms": _ms(closed, 0.5), "get_p90_ms": _ms(closed, 0.9), "get_p99_ms": _ms(closed, 0.99),
        "get_p999_ms": _ms(closed, 0.999), "get_max_ms": round(max(closed.latencies_s, default=0) * 1000, 2),
        "get_cpu_pct": {k: round(v) for k, v in sorted(cpu_pct.items(), key=lambda kv: -kv[1])},
        "get_fixed_rate_rps": FIXED_RATE, "get_fixed_rate_achieved_rps": round(fixed.rps),
        "get_fixed_rate_requests": fixed.requests, "get_fixed_rate_errors": fixed.errors,
        "get_fixed_rate_p50_ms": _ms(fixed, 0.5), "get_fixed_rate_p99_ms": _ms(fixed, 0.99),
        "get_fixed_rate_max_ms": round(max(fixed.latencies_s, default=0) * 1000, 2),
    }


def main() -> None:
    rows = int(os.environ["BENCH_ROWS"]) if os.environ.get("BENCH_ROWS") else None
    chunk_rows = int(os.environ["BENCH_CHUNK_ROWS"]) if os.environ.get("BENCH_CHUNK_ROWS") else None
    path, expected = _source_file(rows)
    machine = machine_readings()  # before the work, on an idle machine
    options = StackOptions(name=STACK_NAME, postgres_port=free_port(), broker_port=free_port(),
                           environ=_free_port_environ(), fast_unsafe_postgres=True,
                           extra_service_env={"LOG_LEVEL": "WARNING"})
    EmbeddedPostgres(f"pg-{STACK_NAME}", options.postgres_port).destroy()
    stack = Stack(options)
    try:
        stack.start_infrastructure()
        stack.migrate()
        stack.start_services()
        stack.wait_ready(timeout_s=120)
        if not os.environ.get("BENCH_ALL_SERVICES"):
            # Two cores measure the registry: matching and minutes (own pods in production) stop.
            for name in ("matching", "minutes"):
                if name in stack.services:
                    stack.services.pop(name).stop()
        pids = _with_workers({name: process.pid for name, process in stack.services.items() if process.pid})
        if stack.envoy and stack.envoy.pid:
            pids["gateway"] = stack.envoy.pid
        pids.update(_postgres_pids(stack.postgres.data if stack.postgres else None))
        sampler = RssSampler(pids)
        sampler.start()
        job = asyncio.run(_upload_and_wait(stack.gateway_url, path, sampler, chunk_rows))
        sampler.pids.update(_postgres_pids(stack.postgres.data if stack.postgres else None))
        sampler.sample()
        drain_s, drain_wait_s, pending = asyncio.run(_wait_drained(stack.database_url, DRAIN_TIMEOUT_S))
        persons = asyncio.run(_sample_persons(stack.database_url, 20_000))
        loadavg = [round(x, 2) for x in os.getloadavg()]

        def processes() -> dict[str, int]:
            found = _with_workers({"registry": stack.services["registry"].pid or 0})
            if stack.envoy and stack.envoy.pid:
                found["gateway"] = stack.envoy.pid
            return found | _postgres_pids(stack.postgres.data if stack.postgres else None)

        workers = max(1, sum(_is_worker(pid) for name, pid in processes().items() if name.startswith("registry/")))
        # uvloop, as the services run: the generator should cost the shared cores as little as it can
        load = uvloop.run(_get_load(stack.gateway_url, persons, processes)) if persons else {}
        sampler.stopped.set()
        sampler.sample()
        peaks = sampler.peaks
        postgres_backends = [v for k, v in peaks.items() if k.startswith("postgres:")]
        peak_rss = {k: round(v, 1) for k, v in peaks.items() if not k.startswith("postgres:")}
        if postgres_backends:
            peak_rss["postgres_backend_max"] = round(max(postgres_backends), 1)
            peak_rss["postgres_backend_max_private"] = round(max(
                v for k, v in sampler.private_peaks.items() if k.startswith("postgres:")), 1)
        result = {
            "benchmark": "registry_import", "file": path.name, "rows": job.get("rows_done"),
            "expected_rows": expected, "status": job["status"], "failed_rows": job.get("rows_failed"),
            "warned_rows": job.get("rows_warned"), "created_rows": job.get("rows_created"),
            "chunk_rows": job.get("chunk_rows"), "wall_s": round(job["wall_s"], 2),
            "upload_s": round(job["upload_s"], 2),
            "rows_per_s": round((job.get("rows_done") or 0) / job["wall_s"]),
            "job_rows_per_s": job.get("rows_per_s"),
            "outbox_drain_s": round(drain_s, 1) if drain_s is not None else None,
            "outbox_drain_wait_s": round(drain_wait_s, 1), "outbox_pending_at_get": pending,
            "services": sorted(stack.services), "peak_rss_mb": peak_rss,
            "peak_rss_max_mb": round(max(peak_rss.values()), 1) if peak_rss else None,
            **load, "get_clients": CLIENTS, "registry_workers": workers,
            "loadavg_at_get": loadavg, "cores": os.cpu_count(), "machine": machine,
        }
        if job["status"] != "succeeded":
            result["error"] = job.get("error")
        print(json.dumps(result))
    finally:
        stack.stop()
        if stack.postgres:
            stack.postgres.destroy()


if __name__ == "__main__":
    main()
