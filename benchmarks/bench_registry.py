"""Bulk import of the 1M labelled file through the HTTP API, then GET latency under load.

    make bench-registry                 # BENCH_ROWS=100000 make bench-registry for a quick run

Starts its own stack (PostgreSQL with fsync off, the broker, every service, Envoy) on free
ports, uploads `../shared/bench/bd_1000000_s42.parquet` (or its first BENCH_ROWS rows) to
`POST /registry/imports` through the gateway as an operator, polls `GET /registry/imports/{id}`
until the job ends, sampling the peak RSS (VmHWM) of every process, then runs 50 concurrent
clients doing `GET /registry/persons/{id}` on random stored persons for ~10 s and prints one
JSON line. `rows_per_s` is end to end: from the first byte uploaded to the job's end.

The import's events wait in the outbox while it runs (the relay yields to the chunks); the GETs
run while the relay publishes that backlog, unless BENCH_DRAIN_TIMEOUT=N (seconds) lets it drain
first (`outbox_pending_at_get` says how much was left). Matching and minutes are stopped
(BENCH_ALL_SERVICES=1 keeps them).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import pyarrow.parquet as pq

from devstack.postgres import EmbeddedPostgres
from devstack.procs import free_port
from devstack.stack import Stack, StackOptions
from services.gateway.routes import load_routes
from tests.paths import BENCH_DIR

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
GET_SECONDS = float(os.environ.get("BENCH_GET_SECONDS", "10"))
GET_MAX_REQUESTS = int(os.environ.get("BENCH_GET_MAX_REQUESTS", "200000"))
MINISTRY = "CD"  # the Cabinet Division uploads the all-ministries file as an operator


def _free_port_environ() -> dict[str, str]:
    routes = load_routes(environ={})
    variables = [s.port_variable for s in routes.services]
    variables += [routes.portal_port_variable, routes.gateway_port_variable, routes.admin_port_variable]
    return {variable: str(free_port()) for variable in variables}


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssSampler(threading.Thread):
    """Peak RSS of each process: VmHWM is already a peak; sampling keeps the last value seen
    should a process exit before the end."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peaks: dict[str, float] = {}
        self.stopped = threading.Event()

    def sample(self) -> None:
        for name, pid in self.pids.items():
            value = _vm_hwm_mb(pid)
            if value is not None:
                self.peaks[name] = max(self.peaks.get(name, 0.0), value)

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


async def _wait_drained(database_url: str, timeout_s: float) -> tuple[float, int]:
    """Seconds until the relay has published the import's events (the outbox has no pending
    row), and how many are left if it has not by `timeout_s`."""
    connection = await asyncpg.connect(database_url)
    started = time.perf_counter()
    try:
        while True:
            pending = await connection.fetchval("SELECT count(*) FROM registry.outbox WHERE sent_at IS NULL")
            if pending == 0 or time.perf_counter() - started >= timeout_s:
                return time.perf_counter() - started, pending
            await asyncio.sleep(5)
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


async def _get_load(gateway: str, persons: list[tuple[str, str]]) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + GET_SECONDS
    rng = random.Random(42)
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=gateway, timeout=10, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) < GET_MAX_REQUESTS:
                person_id, ministry = rng.choice(persons)
                started = time.perf_counter()
                response = await client.get(f"/registry/persons/{person_id}", headers={"X-Ministry-Code": ministry})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        # warm-up: connections and caches
        for person_id, ministry in persons[:CLIENTS]:
            await client.get(f"/registry/persons/{person_id}", headers={"X-Ministry-Code": ministry})
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    quantile = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"get_requests": len(latencies), "get_errors": errors, "get_rps": round(len(latencies) / elapsed),
            "get_p50_ms": round(quantile[49] * 1000, 2), "get_p99_ms": round(quantile[98] * 1000, 2)}


def main() -> None:
    rows = int(os.environ["BENCH_ROWS"]) if os.environ.get("BENCH_ROWS") else None
    chunk_rows = int(os.environ["BENCH_CHUNK_ROWS"]) if os.environ.get("BENCH_CHUNK_ROWS") else None
    path, expected = _source_file(rows)
    options = StackOptions(name="bench-registry", postgres_port=free_port(), broker_port=free_port(),
                           environ=_free_port_environ(), fast_unsafe_postgres=True,
                           extra_service_env={"LOG_LEVEL": "WARNING"})
    EmbeddedPostgres("pg-bench-registry", options.postgres_port).destroy()
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
        pids = {name: process.pid for name, process in stack.services.items() if process.pid}
        if stack.envoy and stack.envoy.pid:
            pids["gateway"] = stack.envoy.pid
        pids.update(_postgres_pids(stack.postgres.data if stack.postgres else None))
        sampler = RssSampler(pids)
        sampler.start()
        job = asyncio.run(_upload_and_wait(stack.gateway_url, path, sampler, chunk_rows))
        sampler.pids.update(_postgres_pids(stack.postgres.data if stack.postgres else None))
        sampler.sample()
        drain_s, pending = asyncio.run(_wait_drained(stack.database_url,
                                                     float(os.environ.get("BENCH_DRAIN_TIMEOUT", "0"))))
        persons = asyncio.run(_sample_persons(stack.database_url, 20_000))
        load = asyncio.run(_get_load(stack.gateway_url, persons)) if persons else {}
        sampler.stopped.set()
        sampler.sample()
        peaks = sampler.peaks
        postgres_backends = [v for k, v in peaks.items() if k.startswith("postgres:")]
        peak_rss = {k: round(v, 1) for k, v in peaks.items() if not k.startswith("postgres:")}
        if postgres_backends:
            peak_rss["postgres_backend_max"] = round(max(postgres_backends), 1)
        result = {
            "benchmark": "registry_import", "file": path.name, "rows": job.get("rows_done"),
            "expected_rows": expected, "status": job["status"], "failed_rows": job.get("rows_failed"),
            "warned_rows": job.get("rows_warned"), "created_rows": job.get("rows_created"),
            "chunk_rows": job.get("chunk_rows"), "wall_s": round(job["wall_s"], 2),
            "upload_s": round(job["upload_s"], 2),
            "rows_per_s": round((job.get("rows_done") or 0) / job["wall_s"]),
            "job_rows_per_s": job.get("rows_per_s"), "outbox_drain_wait_s": round(drain_s, 1),
            "outbox_pending_at_get": pending, "services": sorted(stack.services), "peak_rss_mb": peak_rss,
            "peak_rss_max_mb": round(max(peak_rss.values()), 1) if peak_rss else None,
            **load, "get_clients": CLIENTS, "cores": os.cpu_count(),
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
