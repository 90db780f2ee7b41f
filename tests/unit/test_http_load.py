"""The benchmarks' HTTP load generator against a tiny local server: it counts, times and paces."""

from __future__ import annotations

import asyncio

from benchmarks.http_load import LoadResult, run_load


async def _server(delay_s: float) -> tuple[asyncio.Server, list[bytes]]:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            seen.append(head)
            await asyncio.sleep(delay_s)
            status = b"404 Not Found" if b"/missing" in head else b"200 OK"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(guarded, "127.0.0.1", 0), seen


async def test_closed_loop_keeps_each_connection_busy_and_counts_statuses() -> None:
    server, seen = await _server(delay_s=0.01)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await run_load(f"http://127.0.0.1:{port}/registry", [("/persons/1", {"X-Ministry-Code": "MOSW"}),
                                                                     ("/missing", {})],
                                clients=4, seconds=0.5)
        await asyncio.sleep(0.05)  # the handlers see the connections close
    assert result.requests == len(seen) and 100 < result.requests <= 4 * 50 + 4
    assert set(result.statuses) == {200, 404} and result.errors == result.statuses[404]
    assert all(h.startswith(b"GET /registry/") and b"Host: 127.0.0.1:" in h for h in seen)
    assert 10 <= result.quantile_ms(0.5) < 50  # type: ignore[operator]


async def test_open_loop_sends_at_the_rate_and_times_from_when_a_request_was_due() -> None:
    server, _ = await _server(delay_s=0.0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        paced = await run_load(f"http://127.0.0.1:{port}", [("/", {})], clients=5, seconds=1.0, rate=200)
        await asyncio.sleep(0.05)
    assert 180 <= paced.requests <= 201 and paced.errors == 0

    slow, _ = await _server(delay_s=0.05)
    port = slow.sockets[0].getsockname()[1]
    async with slow:
        # one connection, due every 10 ms, answered in 50 ms: the backlog counts in the latency
        late = await run_load(f"http://127.0.0.1:{port}", [("/", {})], clients=1, seconds=0.5, rate=100)
        await asyncio.sleep(0.05)
    assert late.quantile_ms(0.99) > 150  # type: ignore[operator]


def test_quantiles() -> None:
    result = LoadResult(latencies_s=[i / 1000 for i in range(1, 1001)], elapsed_s=2.0)
    assert result.quantile_ms(0.5) == 500.5 and result.quantile_ms(0.99) == 990.01 and result.rps == 500.0
    assert LoadResult().quantile_ms(0.5) is None
