"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections on uvloop, responses
parsed by httptools (both already installed with uvicorn[standard]).

Why not httpx: on this 2-core machine the generator shares the CPU with the server it measures.
httpx spends about a millisecond of CPU per request, as much as the registry's read path itself,
so it starved the server and measured itself. This client costs a few tens of microseconds per
request; `LoadResult.client_cpu_s` says how much CPU it took.

Two modes:

* closed loop (`rate=None`): every connection sends its next request as soon as the previous
  answer arrived. This measures saturation: latency is then clients / throughput (Little's law).
* open loop at a fixed total `rate` (requests/s shared by the connections): connection k sends
  at t0 + (k + i * clients) / rate. A request is timed from when it was due, not from when it
  was sent, so a slow answer that delays the next requests counts against them too (no
  "coordinated omission").
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# (path, headers) of one request
Request = tuple[str, dict[str, str]]


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def errors(self) -> int:
        return self.transport_errors + sum(n for status, n in self.statuses.items() if status != 200)

    def quantile_ms(self, q: float) -> float | None:
        if not self.latencies_s:
            return None
        if len(self.latencies_s) == 1:
            return round(self.latencies_s[0] * 1000, 2)
        cuts = statistics.quantiles(self.latencies_s, n=1000, method="inclusive")
        return round(cuts[min(int(q * 1000), 999) - 1] * 1000, 2)

    @property
    def rps(self) -> float:
        return round(self.requests / self.elapsed_s, 1) if self.elapsed_s else 0.0

    @property
    def client_cpu_pct(self) -> float:
        """CPU the generator used, in % of one core over the phase."""
        return round(100 * self.client_cpu_s / self.elapsed_s, 1) if self.elapsed_s else 0.0


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[int] | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionError("connection closed")
        self._fail(self.lost)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.parser.get_status_code())

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def request(self, raw: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _raw_request(host: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def _connect(host: str, port: int) -> _Connection:
    _, protocol = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return protocol


async def run_load(base_url: str, requests: Sequence[Request], *, clients: int, seconds: float,
                   rate: float | None = None, max_requests: int | None = None, seed: int = 42,
                   on_response: Callable[[int], None] | None = None) -> LoadResult:
    """Send GETs for random picks of `requests` on `clients` keep-alive connections for `seconds`
    (closed loop, or open loop at `rate` requests/s in total). A broken connection is counted
    as a transport error and opened again."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    prefix = url.path.rstrip("/")
    rng = random.Random(seed)
    encoded = [_raw_request(f"{host}:{port}", prefix + path, headers) for path, headers in requests]
    result = LoadResult()
    connections = [await _connect(host, port) for _ in range(clients)]
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    clock = time.perf_counter
    started = clock()
    deadline = started + seconds
    interval = clients / rate if rate else 0.0

    async def client(k: int) -> None:
        connection = connections[k]
        due = started + (k / rate if rate else 0.0)
        while True:
            now = clock()
            if rate:
                if due >= deadline:
                    return
                if due > now:
                    await asyncio.sleep(due - now)
                begin = due
                due += interval
            else:
                if now >= deadline:
                    return
                begin = now
            if max_requests is not None and len(result.latencies_s) >= max_requests:
                return
            try:
                status = await connection.request(rng.choice(encoded))
            except Exception:
                result.transport_errors += 1
                connection.close()
                connection = connections[k] = await _connect(host, port)
                continue
            result.latencies_s.append(clock() - begin)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if on_response is not None:
                on_response(status)

    cpu = time.process_time()
    try:
        await asyncio.gather(*(client(k) for k in range(clients)))
    finally:
        result.elapsed_s = clock() - started
        result.client_cpu_s = time.process_time() - cpu
        for connection in connections:
            connection.close()
    return result
