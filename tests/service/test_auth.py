"""With an API key set, mutating endpoints need it; reads stay open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from models.registry import Registry
from service.app import create_app
from tests.conftest import TINY_VERSION
from tests.service.conftest import assert_error, make_settings

KEY = "s3cret-key"


@pytest.fixture()
def keyed(tiny_registry: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tiny_registry, api_key=KEY))) as client:
        yield client


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {KEY}", f"Bearer {KEY}x", "Bearer ", KEY])
def test_mutating_endpoints_refuse_a_missing_or_wrong_key(keyed: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    error = assert_error(
        keyed.post(f"/v1/models/{TINY_VERSION}/activate", headers=headers), 401, "unauthorized"
    )
    assert KEY not in error["message"]
    files = {"files": ("data.csv", b"doc_id,sentence,role,stance\n", "text/csv")}
    assert_error(keyed.post("/v1/train", files=files, headers=headers), 401, "unauthorized")


def test_the_key_is_checked_before_the_upload_is_parsed(keyed: TestClient) -> None:
    # A broken multipart body would be a 422 if it were parsed; without the key it must not be.
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    assert_error(keyed.post("/v1/train", content=b"--x\r\nnot a part", headers=headers), 401, "unauthorized")
    headers["Authorization"] = f"Bearer {KEY}"
    assert_error(
        keyed.post("/v1/train", content=b"--x\r\nnot a part", headers=headers), 422, "malformed_body"
    )


def test_the_right_key_is_accepted(keyed: TestClient) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    assert keyed.post(f"/v1/models/{TINY_VERSION}/activate", headers=headers).status_code == 200
    # Past the key check, the train route validates the upload.
    files = {"files": ("data.txt", b"hello", "text/plain")}
    assert_error(keyed.post("/v1/train", files=files, headers=headers), 422, "unsupported_file")


def test_read_endpoints_stay_open(keyed: TestClient) -> None:
    for path in ("/health", "/ready", "/v1/info", "/v1/models", "/metrics", "/"):
        assert keyed.get(path).status_code == 200, path
    assert keyed.post("/v1/annotate", json={"text": "Open to all."}).status_code == 200


def test_without_a_key_mutating_endpoints_are_open(client: TestClient) -> None:
    assert client.post(f"/v1/models/{TINY_VERSION}/activate").status_code == 200


def test_openapi_documents_the_bearer_scheme_only_with_a_key(keyed: TestClient, client: TestClient) -> None:
    assert "HTTPBearer" in keyed.get("/openapi.json").json()["components"]["securitySchemes"]
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})
