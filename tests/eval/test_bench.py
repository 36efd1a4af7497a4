from __future__ import annotations

from eval.bench import server_env


def test_the_benchmarked_server_serves_the_requested_model() -> None:
    env = server_env("int8", "opeds-small")
    assert env["ARGSTANCE_VERSION"] == "opeds-small" and env["ARGSTANCE_PRECISION"] == "int8"


def test_without_a_model_the_server_serves_the_active_one(monkeypatch) -> None:
    monkeypatch.delenv("ARGSTANCE_VERSION", raising=False)
    assert "ARGSTANCE_VERSION" not in server_env("auto", None)
