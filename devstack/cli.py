"""`somonnoy run | migrate | stop | clean`: what the Makefile calls."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time

from devstack.errors import StackError
from devstack.paths import RUN_DIR
from devstack.postgres import EmbeddedPostgres
from devstack.stack import Stack, StackOptions

PIDS_FILE = RUN_DIR / "dev" / "pids.json"


def _say(message: str) -> None:
    print(message, flush=True)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    stack = Stack(StackOptions.from_environment("dev"))
    stopping = False
    serving = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if not serving:
            raise KeyboardInterrupt  # interrupt start-up at once; `finally` stops what started

    # Handlers, not the default KeyboardInterrupt: a `make run &` from a script starts with
    # SIGINT ignored, and either signal should stop everything in order.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        stack.preflight()
        stack.start_infrastructure()
        stack.migrate()
        stack.start_services()
        _write_pids(stack)
        stack.wait_ready(timeout_s=args.ready_timeout)
        if not args.no_demo:
            from devstack.demo import load_demo_data

            loaded = load_demo_data(stack.gateway_url)
            _say(f"demo data: {loaded} beneficiary records submitted through the gateway")
        gateway = stack.gateway_url
        _say(f"Somonnoy is up in {time.monotonic() - started:.1f} s\n"
             f"  gateway        {gateway}\n"
             f"  API docs       {gateway}/docs   (merged OpenAPI: {gateway}/openapi.json)\n"
             f"  registry       {gateway}/registry/docs\n"
             f"  matching       {gateway}/matching/docs\n"
             f"  minutes        {gateway}/minutes/docs\n"
             f"  database       {stack.database_url}\n"
             f"  broker         {stack.kafka_bootstrap}\n"
             f"  logs           {stack.log_dir}\n"
             "Press Ctrl-C to stop everything started here.")
        serving = True
        while not stopping:
            for name, process in stack.services.items():
                if not process.alive():
                    raise StackError(f"{name} stopped unexpectedly: {process.last_log_line()}")
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        _say("stopping…")
        stack.stop()
        PIDS_FILE.unlink(missing_ok=True)


def _write_pids(stack: Stack) -> None:
    processes = [*stack.services.values(), stack.portal, stack.envoy, stack.broker.process if stack.broker else None]
    PIDS_FILE.parent.mkdir(parents=True, exist_ok=True)
    pids = {p.name: p.pid for p in processes if p is not None and p.pid}
    PIDS_FILE.write_text(json.dumps({"supervisor": os.getpid(), **pids}))


def stop(_: argparse.Namespace) -> int:
    """Stop what a `make run` (in another terminal, or left behind) started, and nothing else."""
    if PIDS_FILE.exists():
        pids = json.loads(PIDS_FILE.read_text())
        supervisor = pids.pop("supervisor", None)
        if supervisor and _is_ours(supervisor):
            # the running `make run` stops its children in order and removes the pids file
            os.kill(supervisor, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while _is_ours(supervisor) and time.monotonic() < deadline:
                time.sleep(0.2)
            _say(f"stopped the running stack (pid {supervisor})")
        for name, pid in pids.items():
            if _is_ours(pid):
                os.kill(pid, signal.SIGTERM)
                _say(f"stopped {name} (pid {pid})")
        PIDS_FILE.unlink(missing_ok=True)
    if not os.environ.get("DATABASE_URL"):
        postgres = EmbeddedPostgres("pg-dev", int(os.environ.get("POSTGRES_PORT") or 55432))
        if postgres.is_running():
            postgres.stop()
            _say("stopped PostgreSQL")
    return 0


def _is_ours(pid: int) -> bool:
    """A live process started from this checkout (pids are reused: check the command line)."""
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        return False
    return str(RUN_DIR.parent) in cmdline or "somonnoy" in cmdline or ".venv" in cmdline


def clean(args: argparse.Namespace) -> int:
    """Stop, then delete local state: databases, logs, generated configuration."""
    stop(args)
    for name in ("pg-dev", "pg-test"):
        EmbeddedPostgres(name, 1).destroy()
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    _say("removed .run (local databases, logs, generated configuration)")
    return 0


def migrate(_: argparse.Namespace) -> int:
    stack = Stack(StackOptions.from_environment("dev"))
    try:
        if stack.options.database_url:
            from devstack.postgres import check_database_reachable

            check_database_reachable(stack.options.database_url)
        else:
            stack.postgres = EmbeddedPostgres("pg-dev", stack.options.postgres_port)
            stack.postgres.start()
        stack.migrate()
        _say("migrated registry, matching, minutes")
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="somonnoy", description="Run Somonnoy locally")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start everything, load demo data, print the URLs")
    run_parser.add_argument("--no-demo", action="store_true")
    run_parser.add_argument("--ready-timeout", type=float, default=90)
    run_parser.set_defaults(handler=run)
    commands.add_parser("stop", help="stop what `run` started").set_defaults(handler=stop)
    commands.add_parser("clean", help="stop and delete local state").set_defaults(handler=clean)
    commands.add_parser("migrate", help="apply every service's migrations").set_defaults(handler=migrate)
    args = parser.parse_args(argv)
    sys.exit(args.handler(args))


if __name__ == "__main__":
    main()
