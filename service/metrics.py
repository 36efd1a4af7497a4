"""Prometheus metrics of one app: requests, latency, sentences annotated, the serving model."""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Annotation takes milliseconds (tiny model) to a minute (a 200,000-character article on CPU).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The app's collectors, in a registry of its own so that several apps can live in one process."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "argstance_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "argstance_http_request_duration_seconds",
            "time from request to the end of the response",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.documents = Counter(
            "argstance_documents_annotated", "articles annotated", registry=self.registry
        )
        self.sentences = Counter(
            "argstance_sentences_annotated", "sentences annotated", registry=self.registry
        )
        self.model = Gauge(
            "argstance_model_info",
            "the model serving requests (value 1)",
            ["name", "version"],
            registry=self.registry,
        )

    def set_model(self, model: dict[str, str]) -> None:
        """Point the model gauge at the model now serving (``Annotator.model_info``)."""
        self.model.clear()
        self.model.labels(model["name"], model["version"]).set(1)

    def count_annotated(self, sentences_per_document: list[int]) -> None:
        self.documents.inc(len(sentences_per_document))
        self.sentences.inc(sum(sentences_per_document))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count and time every HTTP request under its route template (never the raw path: unbounded labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before responding

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
