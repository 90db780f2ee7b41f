"""Start one service the way every deployment does: check its configuration first, then serve.

    python -m shared.serve services.registry.app:app --port 8101

A wrong setting, an unreachable database or a port already in use ends the process with one
line saying which, instead of a traceback; an unreachable broker is reported but not fatal,
since the outbox holds events until it is back.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg
import uvicorn

from shared.kafka import broker_reachable
from shared.net import port_is_free
from shared.settings import ConfigurationError, ServiceSettings, load_settings


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


async def _database_answers(settings: ServiceSettings) -> None:
    connection = await asyncpg.connect(settings.sync_database_url, timeout=5)
    await connection.close()


def preflight(settings: ServiceSettings, host: str, port: int) -> None:
    if not port_is_free(port, host):
        _fail(f"port {port} is already in use on {host}: stop what listens there or choose another port")
    try:
        asyncio.run(_database_answers(settings))
    except Exception as exc:
        reason = "no answer within 5 s" if isinstance(exc, TimeoutError) else (
            getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
        _fail(f"DATABASE_URL is unreachable ({settings.sync_database_url.split('@')[-1]}): {reason}")
    ok, error = broker_reachable(settings, timeout_s=2)
    if not ok:
        print(f"warning: KAFKA_BOOTSTRAP_SERVERS is unreachable ({error}); events wait in the outbox",
              file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", help="module:attribute of the FastAPI app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None, help="default: WEB_CONCURRENCY, else 1")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(ServiceSettings)
    except ConfigurationError as exc:
        _fail(str(exc))
    preflight(settings, args.host, args.port)
    uvicorn.run(args.app, host=args.host, port=args.port, workers=args.workers or settings.web_concurrency,
                log_config=None, access_log=False, loop="uvloop", http="httptools", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
