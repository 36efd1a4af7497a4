from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models import artifact
from models.inference import tokenize_pairs
from models.modeling import Logits, ModelConfig, keep_layers
from models.registry import SHIPPED_VERSION, Registry, RegistryError
from tests.conftest import build_tiny_model

SENTENCES = ["States must govern their networks.", "Critics call it censorship.", "Share | Print"]


def logits(loaded: artifact.LoadedModel, sentences: list[str]) -> Logits:
    ids, mask, types = tokenize_pairs(loaded, [("cyber sovereignty", s) for s in sentences])
    with torch.inference_mode():
        return loaded.model(ids, mask, types, [len(sentences)])


def test_save_then_load_gives_identical_logits(tiny_model_dir: Path, tmp_path: Path) -> None:
    model, tokenizer = artifact.load_trainable(tiny_model_dir)
    artifact.save(model, tokenizer, tmp_path / "copy", {"name": "copy", "version": "copy"})
    first, second = artifact.load(tiny_model_dir), artifact.load(tmp_path / "copy")
    a, b = logits(first, SENTENCES), logits(second, SENTENCES)
    assert torch.equal(a.role, b.role) and torch.equal(a.stance, b.stance)


def test_inference_encoder_matches_the_transformers_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    model, _ = artifact.load_trainable(tiny_model_dir)
    served = artifact.load(tiny_model_dir)
    trained = artifact.LoadedModel(model, served.tokenizer, {}, tiny_model_dir)
    assert type(served.model.encoder) is not type(trained.model.encoder)
    a, b = logits(trained, SENTENCES), logits(served, SENTENCES)
    assert torch.allclose(a.role, b.role, atol=1e-5) and torch.allclose(a.stance, b.stance, atol=1e-5)


def test_a_model_in_training_is_scored_on_the_inference_encoder(tiny_model_dir: Path) -> None:
    model, tokenizer = artifact.load_trainable(tiny_model_dir)
    trained = artifact.LoadedModel.from_trainable(model, tokenizer, {}, tiny_model_dir)
    served = artifact.load(tiny_model_dir)
    assert type(trained.model.encoder) is type(served.model.encoder)
    a, b = logits(trained, SENTENCES), logits(served, SENTENCES)
    assert torch.equal(a.role, b.role) and torch.equal(a.stance, b.stance)
    next(model.parameters()).data.add_(1.0)  # the copy does not follow later training steps
    assert torch.equal(logits(trained, SENTENCES).role, a.role)


def test_row_bucket_padding_does_not_change_the_sentence_vectors(tiny_model_dir: Path) -> None:
    loaded = artifact.load(tiny_model_dir)
    reference = logits(loaded, SENTENCES)
    loaded.model.encoder.row_bucket = 64  # far more spare rows than these three sentences have tokens
    bucketed = logits(loaded, SENTENCES)
    assert torch.allclose(bucketed.role, reference.role, atol=1e-6)
    assert torch.allclose(bucketed.stance, reference.stance, atol=1e-6)


def test_pair_tokenizer_encodes_as_the_transformers_tokenizer(tiny_model_dir: Path) -> None:
    _, reference = artifact.load_trainable(tiny_model_dir)
    served = artifact.load(tiny_model_dir).tokenizer  # max_length 64
    targets = ["cyber sovereignty", "a much longer target " * 8, "data localisation"]
    sentences = [SENTENCES[0], "word " * 100, "Ünïcode — quotes “like these” and 2,000 numbers."]
    expected = reference(targets, sentences, truncation=True, max_length=64, padding=True)
    encodings = served.encode_batch(list(zip(targets, sentences, strict=True)))
    assert [e.ids for e in encodings] == expected["input_ids"]
    assert [e.type_ids for e in encodings] == expected["token_type_ids"]
    assert [e.attention_mask for e in encodings] == expected["attention_mask"]


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
    model, tokenizer = artifact.load_trainable(tiny_model_dir)
    with pytest.raises(KeyboardInterrupt), tiny_registry.writing("v-crash") as target:
        artifact.save(model, tokenizer, target, {"version": "v-crash"})
        raise KeyboardInterrupt  # the process is interrupted after the weights were written
    assert "v-crash" not in tiny_registry.versions()
    with pytest.raises(RegistryError):
        tiny_registry.path("v-crash")
    assert tiny_registry.active() == "tiny-1"


def test_completed_write_appears_and_can_be_activated(tiny_registry: Registry, tiny_model_dir: Path) -> None:
    model, tokenizer = artifact.load_trainable(tiny_model_dir)
    with tiny_registry.writing("v2") as target:
        artifact.save(model, tokenizer, target, {"version": "v2"})
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
    before = artifact.LoadedModel.from_trainable(model, tokenizer, {}, tmp_path)
    assert torch.allclose(logits(before, SENTENCES).stance, logits(loaded, SENTENCES).stance, atol=1e-5)
    with pytest.raises(ValueError, match="1 to 1"):
        keep_layers(model, 2)


def test_serving_never_imports_transformers(tiny_model_dir: Path) -> None:
    # Importing transformers' model classes costs about 2 s of start-up; inference must not need them.
    script = (
        "import sys; import service.app; from models.pipeline import Annotator; "
        "Annotator.from_path(sys.argv[1]).annotate('States must govern their networks. Critics disagree.'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'transformers'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tiny_model_dir)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
