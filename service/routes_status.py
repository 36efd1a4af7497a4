"""Liveness, readiness, model info and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Response

from models.labels import DEFAULT_TARGET
from models.pipeline import Annotator
from service.errors import ApiError
from service.guards import CheckedRoute
from service.schemas import Health, Info, Ready, error_responses

if TYPE_CHECKING:
    from service.app import Services

READY_PROBE = "Readiness check. The model answers."
READY_TIMEOUT_S = 10.0


def status_router(services: Services) -> APIRouter:
    """Routes that tell operators and load balancers how the service is."""
    router = APIRouter(route_class=CheckedRoute, tags=["status"])

    @router.get("/health", response_model=Health)
    async def health() -> dict[str, str]:
        """The process is up (says nothing about the model)."""
        return {"status": "ok"}

    @router.get("/ready", response_model=Ready, responses=error_responses(503))
    async def ready() -> dict[str, Any]:
        """The model is loaded and answers a one-line article in time."""

        def probe(annotator: Annotator) -> dict[str, str]:
            return annotator.annotate(READY_PROBE).model

        try:
            model = await asyncio.wait_for(services.slot.run(probe), READY_TIMEOUT_S)
        except (TimeoutError, RuntimeError) as err:
            raise ApiError(503, "not_ready", f"the model is not answering: {type(err).__name__}") from err
        return {"status": "ready", "model": model}

    @router.get("/v1/info", response_model=Info)
    async def info() -> dict[str, Any]:
        """The serving model: name, version, labels and its training metrics; and the request limits."""
        loaded = services.slot.current.annotator.loaded
        config, settings = loaded.model.config, services.settings
        return {
            "name": loaded.name,
            "version": loaded.version,
            "precision": loaded.precision,
            "labels": {"role": list(config.roles), "stance": list(config.stances)},
            "default_target": DEFAULT_TARGET,
            "metrics": loaded.metrics,
            "limits": {
                "max_text_chars": settings.max_text_chars,
                "max_target_chars": settings.max_target_chars,
                "max_batch_documents": settings.max_batch_documents,
                "max_body_bytes": settings.max_body_bytes,
            },
        }

    @router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def metrics() -> Response:
        """Prometheus text format: requests, latencies, sentences annotated, the serving model."""
        return Response(services.metrics.render(), media_type=services.metrics.content_type)

    return router
