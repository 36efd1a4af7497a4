from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from models import artifact
from models.registry import Registry, RegistryError
from service.cli import main
from tests.conftest import build_tiny_model
from tests.training.test_train import corpus
from training.average import AverageRequest, average_weights, run_average
from training.train import TrainRequest, run_training
from training.trainer import TrainSettings


def two_runs(registry: Registry, data: Path) -> None:
    """Two one-epoch runs continued from the tiny model with different seeds: versions of one model."""
    for seed in (1, 2):
        request = TrainRequest(
            data=[data],
            registry=registry.root,
            start_from="tiny-1",
            version=f"run-{seed}",
            settings=TrainSettings(epochs=1, batch_sentences=4, seed=seed),
        )
        run_training(request, show_progress=False)


def test_average_weights_is_the_elementwise_mean_in_each_tensors_dtype() -> None:
    first = {"w": torch.tensor([1.0, 2.0], dtype=torch.float16), "step": torch.tensor(3)}
    second = {"w": torch.tensor([2.0, 5.0], dtype=torch.float16), "step": torch.tensor(7)}
    mean = average_weights([first, second])
    assert mean["w"].dtype == torch.float16
    assert mean["w"].tolist() == [1.5, 3.5]
    assert mean["step"].item() == 3  # integer buffers are not averaged


def test_averaged_version_holds_the_mean_weights_and_its_lineage(
    tiny_registry: Registry, tmp_path: Path
) -> None:
    data = corpus(tmp_path / "c.jsonl")
    two_runs(tiny_registry, data)

    result = run_average(
        AverageRequest(["run-1", "run-2"], [data], tiny_registry.root, version="soup"), show_progress=False
    )

    path = tiny_registry.path("soup")
    weights = {v: load_file(tiny_registry.path(v) / artifact.WEIGHTS) for v in ("run-1", "run-2", "soup")}
    for key, value in weights["soup"].items():
        assert torch.allclose(value, (weights["run-1"][key] + weights["run-2"][key]) / 2, atol=1e-6), key
    assert artifact.load(path).version == "soup"
    training = json.loads((path / "training.json").read_text())
    assert training["averaged_from"] == ["run-1", "run-2"]
    assert training["sources"]["run-2"]["settings"]["seed"] == 2
    assert "weights averaged from: run-1, run-2" in (path / "README.md").read_text()
    assert result["metrics"]["test"]["units"]["role"]["n"] == 4


def test_versions_of_different_models_are_refused_before_anything_is_written(
    tiny_registry: Registry, tmp_path: Path
) -> None:
    other, tokenizer = build_tiny_model(context="none")
    artifact.save(
        other, tokenizer, tiny_registry.root / "flat", {"name": "t", "version": "flat", "base_model": "t"}
    )
    data = corpus(tmp_path / "c.jsonl")
    with pytest.raises(ValueError, match="flat differs from tiny-1"):
        run_average(AverageRequest(["tiny-1", "flat"], [data], tiny_registry.root, version="never"))
    with pytest.raises(ValueError, match="at least two different versions"):
        run_average(AverageRequest(["tiny-1", "tiny-1"], [data], tiny_registry.root))
    with pytest.raises(RegistryError):
        run_average(AverageRequest(["tiny-1", "missing"], [data], tiny_registry.root))
    assert "never" not in tiny_registry.versions()


def test_average_command_prints_the_new_version_and_fails_cleanly(
    tiny_registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    data = corpus(tmp_path / "c.jsonl")
    two_runs(tiny_registry, data)
    monkeypatch.setenv("ARGSTANCE_REGISTRY", str(tiny_registry.root))

    assert main(["average", "run-1", "run-2", "--data", str(data), "--version", "cli-soup"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["version"] == "cli-soup"
    stored = json.loads((tiny_registry.path("cli-soup") / "metrics.json").read_text())
    assert summary["test"]["units"]["role"] == round(stored["test"]["units"]["role"]["macro_f1"], 4)

    assert main(["average", "run-1", "--data", str(data)]) == 2
    assert "at least two different versions" in capsys.readouterr().err
