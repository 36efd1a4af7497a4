from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from models.pipeline import Annotator
from models.registry import Registry
from service.app import create_app
from tests.service.conftest import LIMITS, assert_error, make_settings

MAX_TEXT, MAX_TARGET, MAX_BATCH = (
    LIMITS["max_text_chars"],
    LIMITS["max_target_chars"],
    LIMITS["max_batch_documents"],
)


def without_timings(article: dict) -> dict:
    return {k: v for k, v in article.items() if k not in ("timings_ms", "request_id")}


def test_annotate_returns_the_cli_shape_plus_request_id(client: TestClient, tiny_registry: Registry) -> None:
    text = "We must keep the internet open. Shutdowns cost billions. Critics disagree."
    response = client.post("/v1/annotate", json={"text": text, "target": "internet shutdowns"})
    assert response.status_code == 200
    body = response.json()
    expected = Annotator.from_path(tiny_registry.resolve(None)).annotate(text, "internet shutdowns").to_dict()
    assert set(body) == set(expected) | {"request_id"}
    assert without_timings(body) == without_timings(expected)
    assert response.headers["x-request-id"] == body["request_id"]
    assert response.headers["x-model-version"] == body["model"]["version"] == "tiny-1"
    for sentence in body["sentences"]:
        assert body["text"][sentence["start"] : sentence["end"]] == sentence["text"]


def test_annotate_defaults_target_and_reads_html(client: TestClient) -> None:
    html = "<html><body><p>Data must stay at home. That is the only safe choice.</p></body></html>"
    body = client.post("/v1/annotate", json={"text": html, "format": "html"}).json()
    assert body["target"] == "cyber sovereignty"
    assert "<p>" not in body["text"] and body["sentences"]


def test_request_ids_differ(client: TestClient) -> None:
    ids = {client.post("/v1/annotate", json={"text": "One sentence."}).json()["request_id"] for _ in range(3)}
    assert len(ids) == 3


def test_text_at_the_limit_is_accepted_and_one_more_is_413(client: TestClient) -> None:
    text = ("Borders matter online. " * 200)[:MAX_TEXT]
    assert len(text) == MAX_TEXT
    assert client.post("/v1/annotate", json={"text": text}).status_code == 200
    error = assert_error(client.post("/v1/annotate", json={"text": text + "x"}), 413, "payload_too_large")
    assert str(MAX_TEXT) in error["message"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_whitespace_text_is_422(client: TestClient, text: str) -> None:
    assert_error(client.post("/v1/annotate", json={"text": text}), 422, "validation_error")


def test_target_limits(client: TestClient) -> None:
    ok = client.post("/v1/annotate", json={"text": "A sentence.", "target": "t" * MAX_TARGET})
    assert ok.status_code == 200 and ok.json()["target"] == "t" * MAX_TARGET
    for target in ["", "   ", "t" * (MAX_TARGET + 1)]:
        assert_error(client.post("/v1/annotate", json={"text": "A sentence.", "target": target}), 422)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": 5},
        {"text": ["a"]},
        {"text": "ok", "format": "pdf"},
        {"text": "ok", "unknown": 1},
        [],
        "just a string",
    ],
)
def test_invalid_bodies_are_422(client: TestClient, body: object) -> None:
    assert_error(client.post("/v1/annotate", json=body), 422, "validation_error")


def test_lone_surrogate_is_422_not_500(client: TestClient) -> None:
    # Valid JSON escapes, but the string can never be written back as UTF-8.
    body = b'{"text": "bad \\ud800 surrogate"}'
    response = client.post("/v1/annotate", content=body, headers={"content-type": "application/json"})
    assert_error(response, 422, "validation_error")


def test_body_that_is_not_utf8_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/annotate", content=b'{"text": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert_error(response, 422)


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/annotate", content=b'{"text": "unterminated', headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "malformed_json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_wrong_content_type_is_415(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/v1/annotate", content=b'{"text": "fine"}', headers={"content-type": content_type}
    )
    assert_error(response, 415, "unsupported_media_type")


def test_missing_content_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/annotate", content=b'{"text": "fine"}')
    assert_error(response, 415)


def test_json_with_charset_is_accepted(client: TestClient) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/v1/annotate", content=b'{"text": "Fine."}', headers=headers).status_code == 200


def test_batch_keeps_order_and_ids(client: TestClient) -> None:
    documents = [
        {"id": "b", "text": "Second article. It has two sentences."},
        {"id": "a", "text": "First article.", "target": "data localisation"},
    ]
    body = client.post("/v1/annotate/batch", json={"documents": documents}).json()
    assert [a["id"] for a in body["articles"]] == ["b", "a"]
    assert [a["target"] for a in body["articles"]] == ["cyber sovereignty", "data localisation"]
    assert len(body["articles"][0]["sentences"]) == 2 and body["request_id"]


def test_batch_limits(client: TestClient) -> None:
    docs = [{"id": str(i), "text": "A sentence."} for i in range(MAX_BATCH + 1)]
    assert client.post("/v1/annotate/batch", json={"documents": docs[:MAX_BATCH]}).status_code == 200
    assert_error(client.post("/v1/annotate/batch", json={"documents": docs}), 413, "payload_too_large")
    assert_error(client.post("/v1/annotate/batch", json={"documents": []}), 422)
    assert_error(client.post("/v1/annotate/batch", json={"documents": [{"id": "x", "text": " "}]}), 422)
    assert_error(client.post("/v1/annotate/batch", json={"documents": [{"text": "no id"}]}), 422)


def test_batch_document_over_the_text_limit_is_413(client: TestClient) -> None:
    docs = [{"id": "1", "text": "ok"}, {"id": "2", "text": "x" * (MAX_TEXT + 1)}]
    error = assert_error(client.post("/v1/annotate/batch", json={"documents": docs}), 413)
    assert error["details"][0]["location"] == "body.documents.1.text"


def test_concurrent_requests_get_the_same_sentences_as_sequential_ones(
    tiny_registry: Registry, example_oped: str
) -> None:
    # The annotator runs on several threads; each request must still get its own article back.
    app = create_app(make_settings(tiny_registry, worker_threads=4))
    paragraphs = example_oped.split("\n\n")
    texts = ["\n\n".join(paragraphs[i:] + paragraphs[:i])[:MAX_TEXT] for i in range(8)]

    def sentences(text: str) -> list[str]:
        response = client.post("/v1/annotate", json={"text": text})
        return [s["text"] for s in response.json()["sentences"]]

    with TestClient(app) as client:
        sequential = [sentences(t) for t in texts]
        with ThreadPoolExecutor(8) as pool:
            concurrent = list(pool.map(sentences, texts * 4))
    assert concurrent == sequential * 4
