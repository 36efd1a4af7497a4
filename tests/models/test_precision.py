"""Inference paths: each runs the real model, and the ones meant to be exact are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import artifact, precision
from models.pipeline import Annotator
from models.precision import apply_precision


def probabilities(model_dir: Path, path: str, text: str, cache: Path) -> tuple[str, np.ndarray]:
    loaded = artifact.load(model_dir)
    used = apply_precision(loaded, path, cache)
    article = Annotator(loaded).annotate(text)
    return used, np.array([[*s.role.scores.values(), *s.stance.scores.values()] for s in article.sentences])


def test_onnx_path_matches_fp32_and_reuses_its_export(
    tiny_model_dir: Path, example_oped: str, tmp_path: Path
) -> None:
    _, reference = probabilities(tiny_model_dir, "fp32", example_oped, tmp_path)
    used, onnx = probabilities(tiny_model_dir, "onnx", example_oped, tmp_path)
    assert used == "onnx"
    np.testing.assert_allclose(onnx, reference, atol=1e-4)
    (graph,) = tmp_path.glob("*.onnx")
    exported_at = graph.stat().st_mtime_ns
    probabilities(tiny_model_dir, "onnx", example_oped, tmp_path)
    assert graph.stat().st_mtime_ns == exported_at  # loaded from the cache, not exported again


def test_int8_path_runs_close_to_fp32(tiny_model_dir: Path, example_oped: str, tmp_path: Path) -> None:
    _, reference = probabilities(tiny_model_dir, "fp32", example_oped, tmp_path)
    used, int8 = probabilities(tiny_model_dir, "int8", example_oped, tmp_path)
    assert used == "int8"
    assert int8.shape == reference.shape
    assert np.abs(int8 - reference).max() < 0.2


def test_bf16_falls_back_to_fp32_without_native_support(
    tiny_model_dir: Path, example_oped: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "bf16_supported", lambda: False)
    assert probabilities(tiny_model_dir, "bf16", example_oped, tmp_path)[0] == "fp32"


def test_unknown_precision_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="precision must be one of"):
        apply_precision(artifact.load(tiny_model_dir), "fp8")
