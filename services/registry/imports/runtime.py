"""The import runner inside the registry service: started with the app, stopped with it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.registry.imports.jobs import ImportRunner


def with_import_runner(app: FastAPI) -> FastAPI:
    """Wrap the app's lifespan: after the shared start-up (database, relay), run the import
    runner, which first picks up the jobs a previous process left unfinished."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            runner = ImportRunner(app_.state.db, app_.state.settings)
            stop = asyncio.Event()
            task = asyncio.create_task(runner.run(stop), name="registry-import-runner")
            app_.state.import_runner = runner
            try:
                yield
            finally:
                stop.set()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await runner.release()

    app.router.lifespan_context = lifespan
    return app
