"""The registry over HTTP: listing, hot swap, rollback, and version names that try to escape."""

from __future__ import annotations

import asyncio
import shutil
import threading

import pytest
from fastapi.testclient import TestClient

from models.registry import Registry
from models.settings import Settings
from service.serving import ModelSlot
from tests.conftest import TINY_VERSION
from tests.service.conftest import assert_error

SECOND = "tiny-2"


@pytest.fixture()
def two_versions(tiny_registry: Registry) -> Registry:
    shutil.copytree(tiny_registry.root / TINY_VERSION, tiny_registry.root / SECOND)
    (tiny_registry.root / SECOND / "metrics.json").write_text('{"test": {"note": "second"}}')
    return tiny_registry


def test_models_lists_versions_with_metrics(two_versions: Registry, client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body["active"] == TINY_VERSION
    listed = {v["version"]: v for v in body["versions"]}
    assert {TINY_VERSION, SECOND} <= set(listed)
    assert listed[SECOND]["metrics"] == {"test": {"note": "second"}} and listed[TINY_VERSION]["active"]


def test_activate_swaps_the_serving_model_and_rolls_back(two_versions: Registry, client: TestClient) -> None:
    response = client.post(f"/v1/models/{SECOND}/activate")
    assert response.json() == {"active": SECOND, "previous": TINY_VERSION}
    assert two_versions.active() == SECOND
    assert client.get("/v1/models").json()["active"] == SECOND
    assert (
        f'argstance_model_info{{name="argstance-tiny",version="{TINY_VERSION}"}}'
        in client.get("/metrics").text
    )
    # Rolling back is activating the previous version.
    assert client.post(f"/v1/models/{TINY_VERSION}/activate").json()["active"] == TINY_VERSION
    assert two_versions.active() == TINY_VERSION
    assert client.post("/v1/annotate", json={"text": "Still answering."}).status_code == 200


@pytest.mark.parametrize("version", ["nope", "..", "...", ".staging", ".jobs", "ACTIVE", "-x", "a" * 65])
def test_unknown_or_invalid_versions_are_404(client: TestClient, version: str) -> None:
    assert_error(client.post(f"/v1/models/{version}/activate"), 404)


@pytest.mark.parametrize(
    "path", ["%2e%2e%2f%2e%2e%2fetc", "..%2F..%2Ftmp", "%2Fetc%2Fpasswd", "tiny-1%00", "..%5C..%5Cx"]
)
def test_version_names_cannot_escape_the_registry(
    client: TestClient, tiny_registry: Registry, path: str
) -> None:
    assert_error(client.post(f"/v1/models/{path}/activate"), 404)
    assert tiny_registry.active() == TINY_VERSION


def test_in_flight_calls_finish_on_the_model_they_started_with(two_versions: Registry) -> None:
    async def scenario() -> None:
        slot = ModelSlot(two_versions, Settings(registry=two_versions.root))
        await slot.start()
        old = slot.current.annotator
        started, release = threading.Event(), threading.Event()

        def slow(annotator: object) -> object:
            started.set()
            release.wait(10)
            return annotator

        in_flight = asyncio.ensure_future(slot.run(slow))
        await asyncio.to_thread(started.wait, 10)
        assert await slot.activate(SECOND) == TINY_VERSION  # does not wait for the call in flight
        release.set()
        assert await in_flight is old
        assert slot.current.annotator is not old and slot.current.version == SECOND
        slot.stop()

    asyncio.run(scenario())
