from __future__ import annotations

import statistics
from pathlib import Path

from eval.bench import server_env, throughput
from models.pipeline import Annotator
from models.text import segment
from tests.conftest import SAMPLES
from training.formats import load_articles


def test_the_benchmarked_server_serves_the_requested_model() -> None:
    env = server_env("int8", "opeds-small")
    assert env["ARGSTANCE_VERSION"] == "opeds-small" and env["ARGSTANCE_PRECISION"] == "int8"


def test_without_a_model_the_server_serves_the_active_one(monkeypatch) -> None:
    monkeypatch.delenv("ARGSTANCE_VERSION", raising=False)
    assert "ARGSTANCE_VERSION" not in server_env("auto", None)


def test_throughput_reports_the_median_of_its_passes(tiny_model_dir: Path) -> None:
    articles = load_articles(SAMPLES / "example-oped.gold.jsonl")
    result = throughput(Annotator.from_path(tiny_model_dir), articles, passes=3)
    assert result["sentences"] == sum(len(segment(a.text)) for a in articles)
    assert len(result["passes"]) == 3 and all(rate > 0 for rate in result["passes"])
    assert result["sentences_per_s"] == statistics.median(result["passes"])
