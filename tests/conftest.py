"""Shared fixtures: a tiny randomly initialised model saved and loaded through the production paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from models import artifact
from models.modeling import ArgStanceModel, ModelConfig
from models.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "eval" / "samples"
TINY_VERSION = "tiny-1"


def build_tiny_model(context: str = "gru", article_head: bool = False) -> tuple[ArgStanceModel, object]:
    """A 2-layer, 32-wide BERT on the real MiniLM tokenizer (so tokenisation is the production one)."""
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(artifact.base_model_dir(), local_files_only=True)
    encoder = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=256,
        )
    )
    return ArgStanceModel(
        encoder,
        ModelConfig(base_model="tiny-random-bert", max_length=64, context=context, article_head=article_head),
    ), tokenizer


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model, tokenizer = build_tiny_model()
    path = tmp_path_factory.mktemp("tiny") / TINY_VERSION
    artifact.save(
        model, tokenizer, path, {"name": "argstance-tiny", "version": TINY_VERSION, "base_model": "tiny"}
    )
    return path


@pytest.fixture()
def tiny_registry(tmp_path: Path, tiny_model_dir: Path) -> Registry:
    """A registry holding the tiny model as its active version."""
    registry = Registry(tmp_path / "registry")
    registry.root.mkdir()
    shutil.copytree(tiny_model_dir, registry.root / TINY_VERSION)
    registry.activate(TINY_VERSION)
    return registry


@pytest.fixture()
def example_oped() -> str:
    return (SAMPLES / "example-oped.txt").read_text(encoding="utf-8")
