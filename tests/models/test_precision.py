"""Inference paths: each runs the real model; each falls back to fp32 where the CPU lacks it."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

from eval.evaluate import evaluate_predictor, model_predictor
from eval.precision_check import TOLERANCE, fast_path_check
from models import artifact, precision
from models.pipeline import Annotator
from models.precision import FAST_PATHS, apply_precision, bf16_supported
from tests.conftest import SAMPLES
from training.formats import load_articles


def probabilities(model_dir: Path, path: str, text: str) -> tuple[str, np.ndarray]:
    loaded = artifact.load(model_dir)
    used = apply_precision(loaded, path)
    article = Annotator(loaded).annotate(text)
    return used, np.array([[*s.role.scores.values(), *s.stance.scores.values()] for s in article.sentences])


def test_int8_path_runs_close_to_fp32(tiny_model_dir: Path, example_oped: str) -> None:
    _, reference = probabilities(tiny_model_dir, "fp32", example_oped)
    used, int8 = probabilities(tiny_model_dir, "int8", example_oped)
    assert used == "int8"
    assert int8.shape == reference.shape
    assert np.abs(int8 - reference).max() < 0.2


def test_int8_keeps_the_feed_forward_output_projections_in_fp32(tiny_model_dir: Path) -> None:
    loaded = artifact.load(tiny_model_dir)
    apply_precision(loaded, "int8")
    modules = dict(loaded.model.encoder.named_modules())
    for k in range(loaded.model.encoder.config.num_hidden_layers):
        assert not isinstance(modules[f"encoder.layer.{k}.output.dense"], DynamicInt8Linear)
        for name in ("query", "key", "value"):
            assert isinstance(modules[f"encoder.layer.{k}.attention.self.{name}"], DynamicInt8Linear)
        for name in ("attention.output.dense", "intermediate.dense"):
            assert isinstance(modules[f"encoder.layer.{k}.{name}"], DynamicInt8Linear)


@pytest.mark.skipif(not bf16_supported(), reason="this CPU has no native bf16 instructions")
def test_bf16_path_runs_the_encoder_in_bf16_close_to_fp32(tiny_model_dir: Path, example_oped: str) -> None:
    _, reference = probabilities(tiny_model_dir, "fp32", example_oped)
    used, bf16 = probabilities(tiny_model_dir, "bf16", example_oped)
    assert used == "bf16"
    assert np.abs(bf16 - reference).max() < 0.05
    loaded = artifact.load(tiny_model_dir)
    apply_precision(loaded, "bf16")
    assert {p.dtype for p in loaded.model.encoder.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in loaded.model.stance_head.parameters()} == {torch.float32}


def test_bf16_falls_back_to_fp32_without_native_support(
    tiny_model_dir: Path, example_oped: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "bf16_supported", lambda: False)
    assert probabilities(tiny_model_dir, "bf16", example_oped)[0] == "fp32"


def test_int8_falls_back_to_fp32_without_a_quantized_engine(
    tiny_model_dir: Path, example_oped: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "int8_supported", lambda: False)
    assert probabilities(tiny_model_dir, "int8", example_oped)[0] == "fp32"


def test_unknown_precision_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="precision must be one of"):
        apply_precision(artifact.load(tiny_model_dir), "fp8")


def test_auto_takes_the_fastest_checked_path_the_cpu_runs(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def auto(inference: dict | None) -> str:
        loaded = artifact.load(tiny_model_dir)
        if inference is not None:
            loaded.manifest["inference"] = inference
        return apply_precision(loaded, "auto")

    assert auto(None) == "fp32"  # unchecked models stay on the reference path
    assert auto({"precision": "int8"}) == "int8"  # manifests written before "passed" existed
    assert auto({"precision": "fp32", "passed": []}) == "fp32"
    monkeypatch.setattr(precision, "bf16_supported", lambda: True)
    assert auto({"precision": "bf16", "passed": ["bf16", "int8"]}) == "bf16"
    monkeypatch.setattr(precision, "bf16_supported", lambda: False)
    assert auto({"precision": "bf16", "passed": ["bf16", "int8"]}) == "int8"
    assert auto({"precision": "bf16", "passed": ["bf16"]}) == "fp32"


def test_a_path_passes_only_within_the_tolerance(tiny_model_dir: Path) -> None:
    loaded = artifact.load(tiny_model_dir)
    gold = load_articles(SAMPLES / "example-oped.gold.jsonl")
    fp32 = evaluate_predictor(model_predictor(Annotator(loaded)), gold, show_progress=False)
    check = fast_path_check(loaded, gold, fp32, show_progress=False)
    assert check["checked_articles"] == len(gold)
    assert set(check["paths"]) == set(FAST_PATHS)
    measured = {path: r["worst_macro_f1_loss"] for path, r in check["paths"].items() if "skipped" not in r}
    assert "int8" in measured
    assert check["passed"] == [path for path in FAST_PATHS if measured.get(path, 1) <= TOLERANCE]
    assert check["precision"] == (check["passed"] or ["fp32"])[0]
    assert loaded.precision == "fp32"  # the check converts a copy, never the model itself
    assert {p.dtype for p in loaded.model.encoder.parameters()} == {torch.float32}

    stricter = copy.deepcopy(fp32)
    for mode in ("units", "end_to_end"):
        for task in ("role", "stance"):
            stricter[mode][task]["macro_f1"] += 0.02  # as if fp32 scored 2 points higher
    strict = fast_path_check(loaded, gold, stricter, show_progress=False)
    assert strict["passed"] == [] and strict["precision"] == "fp32"
