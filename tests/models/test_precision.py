"""Inference paths: each runs the real model; bf16 falls back where the CPU lacks it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import artifact, precision
from models.pipeline import Annotator
from models.precision import apply_precision


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
