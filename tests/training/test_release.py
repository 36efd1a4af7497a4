from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from models import artifact
from models.registry import Registry
from tests.training.test_train import corpus
from training.release import release
from training.train import TrainRequest, run_training
from training.trainer import TrainSettings


def test_release_ships_fp16_weights_scored_as_shipped(tiny_registry: Registry, tmp_path: Path) -> None:
    destination = tmp_path / "default"
    destination.mkdir()
    (destination / "old-file").write_text("previous release")
    data = corpus(tmp_path / "c.jsonl")
    with pytest.raises(ValueError, match="no training.json"):
        release("tiny-1", tiny_registry.root, [data], destination, show_progress=False)
    request = TrainRequest(
        data=[data],
        registry=tiny_registry.root,
        start_from="tiny-1",
        version="v-ship",
        settings=TrainSettings(epochs=1, batch_sentences=4),
    )
    run_training(request, show_progress=False)

    result = release(
        "v-ship", tiny_registry.root, [data], destination, notes="Trained for a test.", show_progress=False
    )

    assert not (destination / "old-file").exists()  # replaced as a whole, not merged
    assert not list(tmp_path.glob(".default.*"))  # no building or retired copies left behind
    dtypes = {t.dtype for t in load_file(destination / artifact.WEIGHTS).values() if t.is_floating_point()}
    assert dtypes == {torch.float16}
    shipped = artifact.load(destination)
    assert shipped.version == "v-ship"
    assert shipped.manifest["weights_dtype"] == "float16"
    assert shipped.manifest["inference"] == result["inference"]
    metrics = json.loads((destination / "metrics.json").read_text())
    assert metrics["test"]["units"]["role"]["macro_f1"] == result["test"]["units"]["role"]["macro_f1"]
    card = (destination / "README.md").read_text()
    assert "Inference paths checked against fp32" in card
    assert card.rstrip().endswith("## Release notes\nTrained for a test.")
