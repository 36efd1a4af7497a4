"""The service on the shipped model answers the project's example op-ed (slow: loads the real model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.registry import SHIPPED_MODEL
from service.app import create_app
from tests.service.conftest import make_settings


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHIPPED_MODEL / "model.safetensors").is_file(), reason="models/default is not built yet"
)
def test_shipped_model_answers_the_example_oped(tmp_path: Path, example_oped: str) -> None:
    from models.registry import Registry

    settings = make_settings(Registry(tmp_path / "empty"), max_text_chars=200_000, max_body_bytes=20_000_000)
    with TestClient(create_app(settings)) as client:
        body = client.post("/v1/annotate", json={"text": example_oped}).json()
        assert client.get("/v1/models").json()["active"] == "default"
    assert body["model"]["name"] == "argstance" and len(body["sentences"]) > 20
    roles = {s["role"]["label"] for s in body["sentences"]}
    assert {"claim", "evidence"} <= roles  # an op-ed argues: the real model finds both
    assert body["summary"]["article_stance"]["label"] in ("favor", "against", "neutral")
