from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.conftest import LIMITS


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready == {"status": "ready", "model": {"name": "argstance-tiny", "version": "tiny-1"}}


def test_info_names_the_model_its_labels_and_limits(client: TestClient) -> None:
    info = client.get("/v1/info").json()
    assert (info["name"], info["version"], info["precision"]) == ("argstance-tiny", "tiny-1", "fp32")
    assert info["labels"] == {
        "role": ["claim", "evidence", "rebuttal", "none"],
        "stance": ["favor", "against", "neutral"],
    }
    assert info["metrics"] == {} and info["default_target"] == "cyber sovereignty"
    assert info["limits"] == LIMITS


def test_metrics_count_requests_sentences_and_model(client: TestClient) -> None:
    client.post("/v1/annotate", json={"text": "One. Two. Three."})
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert 'argstance_http_requests_total{method="POST",route="/v1/annotate",status="200"} 1.0' in text
    assert 'argstance_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'argstance_http_request_duration_seconds_count{method="POST",route="/v1/annotate"} 1.0' in text
    assert "argstance_sentences_annotated_total 3.0" in text
    assert "argstance_documents_annotated_total 1.0" in text
    assert 'argstance_model_info{name="argstance-tiny",version="tiny-1"} 1.0' in text


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/annotate",
        "/v1/annotate/batch",
        "/health",
        "/ready",
        "/v1/info",
        "/metrics",
        "/v1/models",
        "/v1/models/{version}/activate",
        "/v1/train",
        "/v1/jobs/{job_id}",
        "/v1/evaluate",
    } <= set(paths)
    assert client.get("/docs").status_code == 200


def test_docs_page_loads_nothing_from_other_hosts(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn" not in page and "https://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs/assets/{asset}" in page
        assert client.get(f"/docs/assets/{asset}").status_code == 200
