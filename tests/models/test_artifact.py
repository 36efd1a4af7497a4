from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from models import artifact
from models.modeling import Logits, ModelConfig, keep_layers
from models.registry import SHIPPED_VERSION, Registry, RegistryError
from tests.conftest import build_tiny_model


def logits(loaded: artifact.LoadedModel, sentences: list[str]) -> Logits:
    batch = loaded.tokenizer(
        ["cyber sovereignty"] * len(sentences), sentences, padding=True, return_tensors="pt"
    )
    with torch.inference_mode():
        return loaded.model(
            batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], [len(sentences)]
        )


def test_save_then_load_gives_identical_logits(tiny_model_dir: Path, tmp_path: Path) -> None:
    first = artifact.load(tiny_model_dir)
    artifact.save(first.model, first.tokenizer, tmp_path / "copy", first.manifest)
    second = artifact.load(tmp_path / "copy")
    sentences = ["States must govern their networks.", "Critics call it censorship.", "Share | Print"]
    a, b = logits(first, sentences), logits(second, sentences)
    assert torch.equal(a.role, b.role) and torch.equal(a.stance, b.stance)


def test_manifest_describes_the_model(tiny_model_dir: Path) -> None:
    manifest = artifact.load(tiny_model_dir).manifest
    assert manifest["model_config"]["roles"] == ["claim", "evidence", "rebuttal", "none"]
    assert manifest["model_config"]["context"] == "gru"
    assert {"torch", "transformers", "python"} <= set(manifest["library_versions"])


def test_missing_weights_is_an_error_naming_the_file(tiny_model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / artifact.WEIGHTS).unlink()
    with pytest.raises(artifact.ArtifactError, match="model.safetensors"):
        artifact.load(broken)


def test_interrupted_write_leaves_no_loadable_version(tiny_registry: Registry, tiny_model_dir: Path) -> None:
    loaded = artifact.load(tiny_model_dir)
    with pytest.raises(KeyboardInterrupt), tiny_registry.writing("v-crash") as target:
        artifact.save(loaded.model, loaded.tokenizer, target, loaded.manifest)
        raise KeyboardInterrupt  # the process is interrupted after the weights were written
    assert "v-crash" not in tiny_registry.versions()
    with pytest.raises(RegistryError):
        tiny_registry.path("v-crash")
    assert tiny_registry.active() == "tiny-1"


def test_completed_write_appears_and_can_be_activated(tiny_registry: Registry, tiny_model_dir: Path) -> None:
    loaded = artifact.load(tiny_model_dir)
    with tiny_registry.writing("v2") as target:
        artifact.save(loaded.model, loaded.tokenizer, target, loaded.manifest)
    assert "v2" in tiny_registry.versions()
    tiny_registry.activate("v2")
    assert tiny_registry.active() == "v2"


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 65])
def test_version_names_cannot_escape_the_registry(tiny_registry: Registry, name: str) -> None:
    with pytest.raises(RegistryError):
        tiny_registry.path(name)


def test_empty_registry_falls_back_to_the_shipped_model(tmp_path: Path) -> None:
    assert Registry(tmp_path / "none").active() == SHIPPED_VERSION


def test_encoder_layers_keeps_the_first_layers_of_the_base(tmp_path: Path) -> None:
    full, tokenizer = build_tiny_model()
    full.encoder.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    cut, _ = artifact.load_base(ModelConfig(encoder_layers=1), base_dir=tmp_path / "base")
    assert len(cut.encoder.encoder.layer) == 1
    kept = cut.encoder.encoder.layer[0].state_dict()
    for name, weight in full.encoder.encoder.layer[0].state_dict().items():
        assert torch.equal(kept[name], weight)

    artifact.save(cut, tokenizer, tmp_path / "saved", {"name": "cut", "version": "cut"})
    loaded = artifact.load(tmp_path / "saved")
    assert loaded.model.config.encoder_layers == 1
    assert len(loaded.model.encoder.encoder.layer) == 1


def test_keep_layers_cuts_a_trained_model_and_survives_save_and_load(tmp_path: Path) -> None:
    model, tokenizer = build_tiny_model(article_head=True)
    heads = model.stance_head.weight.detach().clone()
    keep_layers(model, 1)
    assert len(model.encoder.encoder.layer) == 1 and model.config.encoder_layers == 1
    assert torch.equal(model.stance_head.weight, heads)  # the heads are kept
    model.eval()
    artifact.save(model, tokenizer, tmp_path / "cut", {"name": "cut", "version": "cut"})
    loaded = artifact.load(tmp_path / "cut")
    before = artifact.LoadedModel(model, tokenizer, {}, tmp_path)
    sentences = ["States must govern their networks.", "Critics call it censorship."]
    assert torch.equal(logits(before, sentences).stance, logits(loaded, sentences).stance)
    with pytest.raises(ValueError, match="1 to 1"):
        keep_layers(model, 2)
