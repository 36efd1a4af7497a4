"""Every error has one JSON shape and the right status, including the framework's own errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from models.registry import Registry
from service.app import create_app
from tests.service.conftest import LIMITS, assert_error, make_settings

MAX_BODY = LIMITS["max_body_bytes"]


def test_unknown_path_is_404(client: TestClient) -> None:
    assert_error(client.get("/v2/nothing"), 404, "not_found")


def test_wrong_method_is_405(client: TestClient) -> None:
    assert_error(client.get("/v1/annotate"), 405, "method_not_allowed")
    assert_error(client.delete("/health"), 405)


def padded_body(size: int) -> bytes:
    """A valid annotate body of exactly ``size`` bytes."""
    head, tail = b'{"text": "Fine.", "target": "t", "format": "text"', b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


def test_body_at_the_byte_limit_is_read_and_one_more_byte_is_413(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert client.post("/v1/annotate", content=padded_body(MAX_BODY), headers=headers).status_code == 200
    response = client.post("/v1/annotate", content=padded_body(MAX_BODY + 1), headers=headers)
    assert_error(response, 413, "payload_too_large")


def test_streamed_body_without_length_is_cut_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        body = padded_body(MAX_BODY + 10)
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = client.post("/v1/annotate", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")


def test_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    # Even on a route that reads no body, and for uploads, the declared size alone decides.
    for path in ("/health", "/v1/train", "/v1/evaluate"):
        response = client.post(
            path, content=b"x" * (MAX_BODY + 1), headers={"content-type": "multipart/form-data"}
        )
        assert_error(response, 413)


def test_upload_over_the_limit_is_413(client: TestClient) -> None:
    files = {"file": ("gold.jsonl", b"{}" * MAX_BODY, "application/json")}
    assert_error(client.post("/v1/evaluate", files=files), 413, "payload_too_large")


@pytest.fixture()
def failing_client(tiny_registry: Registry) -> Iterator[TestClient]:
    app = create_app(make_settings(tiny_registry))

    async def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret path /etc/shadow in the message")

    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.services.slot.run = explode
        yield client


def test_500_says_internal_error_and_logs_the_traceback(
    failing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="service.errors"):
        response = failing_client.post("/v1/annotate", json={"text": "Fine."})
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "internal error"
    assert "secret" not in response.text
    assert any(r.exc_info and "secret path" in str(r.exc_info[1]) for r in caplog.records)
