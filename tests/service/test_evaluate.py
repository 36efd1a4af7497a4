from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from models.registry import Registry
from tests.conftest import SAMPLES, TINY_VERSION
from tests.service.conftest import assert_error

GOLD = SAMPLES / "example-oped.gold.jsonl"


def upload(name: str = "gold.jsonl", content: bytes | None = None) -> dict:
    return {"file": (name, GOLD.read_bytes() if content is None else content, "application/jsonl")}


def test_evaluate_returns_the_report_for_the_serving_version(client: TestClient) -> None:
    response = client.post("/v1/evaluate", files=upload())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["model_version"] == TINY_VERSION and report["data"] == ["gold.jsonl"]
    assert report["inference_path"] == "fp32"  # what the service runs the tiny model on
    assert report["n_articles"] == 1 and report["n_sentences"] > 10
    assert {"units", "end_to_end"} <= set(report["model"])
    assert "baselines" not in report


def test_evaluate_another_version(client: TestClient, tiny_registry: Registry) -> None:
    shutil.copytree(tiny_registry.root / TINY_VERSION, tiny_registry.root / "other")
    report = client.post("/v1/evaluate", files=upload(), data={"version": "other"}).json()
    assert report["model_version"] == TINY_VERSION  # the manifest's name for the copied model
    assert client.get("/v1/models").json()["active"] == TINY_VERSION  # evaluating does not activate


def test_evaluate_errors(client: TestClient) -> None:
    assert_error(
        client.post("/v1/evaluate", files=upload(), data={"version": "missing"}), 404, "unknown_version"
    )
    assert_error(client.post("/v1/evaluate", files=upload(), data={"version": "../../x"}), 404)
    assert_error(client.post("/v1/evaluate", files=upload("gold.csv")), 422, "unsupported_file")
    error = assert_error(
        client.post("/v1/evaluate", files=upload(content=b'{"id": 1}\n')), 422, "invalid_labelled_data"
    )
    assert error["details"][0]["file"] == "gold.jsonl" and error["details"][0]["line"] == 1
    assert_error(client.post("/v1/evaluate", json={"file": "x"}), 415)
