"""The sentence encoder on ONNX Runtime, exported once per model from its safetensors weights.

ONNX Runtime fuses LayerNorm, GELU and bias additions and runs MiniLM's small matrices with less
framework overhead than eager PyTorch. The graph is derived locally from the model's own
weights and cached under a key of those weights, so nothing but safetensors is ever read from a
model directory, and a changed model never meets a stale graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.artifact import WEIGHTS, LoadedModel
from models.modeling import ArgStanceModel

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Embedder(nn.Module):
    """``ArgStanceModel.embed`` as a module, the shape torch.onnx.export traces."""

    def __init__(self, model: ArgStanceModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.model.embed(input_ids, attention_mask, token_type_ids)


class OnnxEncoder:
    """Callable like ``ArgStanceModel.embed``: token tensors in, mean-pooled sentence vectors out."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.path = path

    def __call__(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        feeds = {
            name: tensor.numpy().astype(np.int64, copy=False)
            for name, tensor in zip(INPUTS, (input_ids, attention_mask, token_type_ids), strict=True)
        }
        return torch.from_numpy(self.session.run(None, feeds)[0])


def graph_path(loaded: LoadedModel, cache_dir: Path) -> Path:
    """Where the graph of this model's weights lives in the cache."""
    import onnxruntime

    digest = hashlib.sha256()
    with open(loaded.path / WEIGHTS, "rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"torch {torch.__version__} onnxruntime {onnxruntime.__version__}".encode())
    return cache_dir / f"encoder-{digest.hexdigest()[:20]}.onnx"


def export(model: ArgStanceModel, tokenizer, path: Path) -> None:
    """Export the encoder with dynamic batch and sequence axes; written atomically to ``path``."""
    sample = tokenizer(
        ["a target", "a target"],
        ["One sentence.", "A second, longer sentence."],
        padding=True,
        return_tensors="pt",
    )
    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens")
    shapes = {name: {0: batch, 1: tokens} for name in INPUTS}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(handle)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's advice on dynamic shapes, not ours to act on
            torch.onnx.export(
                _Embedder(model).eval(),
                tuple(sample[name] for name in INPUTS),
                tmp,
                input_names=list(INPUTS),
                output_names=["vectors"],
                dynamic_shapes=shapes,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def onnx_encoder(loaded: LoadedModel, cache_dir: Path, threads: int) -> OnnxEncoder:
    """The model's encoder on ONNX Runtime, exporting it first if the cache lacks it (~15 s)."""
    path = graph_path(loaded, cache_dir)
    if not path.is_file():
        log.info("exporting %s to ONNX (once per model) at %s", loaded.version, path)
        export(loaded.model, loaded.tokenizer, path)
    return OnnxEncoder(path, threads)
