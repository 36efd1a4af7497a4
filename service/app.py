"""The FastAPI app factory: ``create_app(settings)`` wires the routes, the model and the job runner.

The model is loaded in the lifespan, so importing or building the app is cheap and a model that
cannot load stops start-up with its error instead of serving 500s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from models.registry import Registry
from models.settings import Settings
from service.errors import install_error_handlers
from service.guards import BodyLimitMiddleware
from service.jobs import JobRunner
from service.metrics import Metrics, MetricsMiddleware
from service.routes_annotate import annotate_router
from service.routes_docs import mount_docs
from service.routes_evaluate import evaluate_router
from service.routes_jobs import jobs_router
from service.routes_models import models_router
from service.routes_page import mount_page
from service.routes_status import status_router
from service.schemas import request_models
from service.serving import ModelSlot

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Argument roles (claim, evidence, rebuttal, none) and stance (favor, against, neutral) toward any "
    'target, sentence by sentence. Errors are always `{"error": {"type", "message"}}`.'
)


@dataclass(frozen=True)
class Services:
    """What the routes of one app share."""

    settings: Settings
    registry: Registry
    slot: ModelSlot
    jobs: JobRunner
    metrics: Metrics


def create_app(settings: Settings) -> FastAPI:
    """Build the service for ``settings``; the model loads when the app starts."""
    registry, metrics = Registry(settings.registry), Metrics()
    slot = ModelSlot(registry, settings, on_swap=lambda s: metrics.set_model(s.annotator.model_info))
    services = Services(settings, registry, slot, JobRunner(settings), metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await slot.start()
        loaded = slot.current.annotator.loaded
        log.info("serving model %s version %s from %s", loaded.name, slot.current.version, loaded.path)
        follower = asyncio.create_task(slot.follow_registry())
        try:
            yield
        finally:
            follower.cancel()
            slot.stop()

    # docs_url=None: /docs is ours (service.routes_docs), with no CDN; ReDoc would need one too.
    app = FastAPI(
        title="argstance",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    # Added last = outermost: metrics also count the 413s the body limit answers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    models = request_models(settings)
    for router in (
        annotate_router(services, models),
        status_router(services),
        models_router(services),
        jobs_router(services),
        evaluate_router(services),
    ):
        app.include_router(router)
    mount_page(app)
    mount_docs(app)
    return app
