"""Service fixtures: the app on the tiny model with small limits, through FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from models.registry import Registry
from models.settings import Settings
from service.app import create_app

# Small limits so that "exactly the limit" and "limit + 1" are cheap to send.
LIMITS = {"max_text_chars": 3000, "max_target_chars": 40, "max_batch_documents": 3, "max_body_bytes": 65_536}


def make_settings(registry: Registry, **overrides: object) -> Settings:
    """Settings for a test app; explicit values, so ARGSTANCE_* in the environment cannot leak in."""
    values = {"registry": registry.root, "version": None, "api_key": None, "worker_threads": 2, **LIMITS}
    return Settings(**{**values, **overrides})


@pytest.fixture()
def settings(tiny_registry: Registry) -> Settings:
    return make_settings(tiny_registry)


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def assert_error(response: object, status: int, type_: str | None = None) -> dict:
    """The one error shape, with the expected status (and type, when given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["type"], str) and isinstance(body["error"]["message"], str)
    if type_ is not None:
        assert body["error"]["type"] == type_, body
    return body["error"]
