"""Faster inference paths for a loaded model, each with a clean fallback to fp32.

fp32: the reference. onnx: the same fp32 encoder on ONNX Runtime (models.onnx_encoder); same
numbers, less overhead. int8: dynamic quantisation of the Linear layers (weights int8,
activations quantised on the fly), useful on any x86 CPU. bf16: autocast, only where the CPU
has native bf16 matrix instructions (AVX512-BF16 or AMX); elsewhere it would be emulated and
slower, so we fall back to fp32.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import torch
from torch import nn

from models.artifact import LoadedModel

log = logging.getLogger(__name__)
PRECISIONS = ("fp32", "onnx", "int8", "bf16")


def bf16_supported() -> bool:
    """True when the CPU runs bf16 matrix multiplication natively."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX_BF16", "AVX512_AMX")


def apply_precision(loaded: LoadedModel, precision: str, cache_dir: Path | None = None) -> str:
    """Switch the model to ``precision`` in place; returns the path that will actually run.

    ``cache_dir`` keeps exported ONNX graphs (precision "onnx"); without it they go to a
    temporary directory and are exported again by the next process.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "onnx":
        from models.onnx_encoder import onnx_encoder

        cache_dir = cache_dir or Path(tempfile.gettempdir()) / "argstance-onnx"
        loaded.encoder_runtime = onnx_encoder(loaded, cache_dir, torch.get_num_threads())
    elif precision == "int8":
        loaded.model.encoder = torch.ao.quantization.quantize_dynamic(
            loaded.model.encoder, {nn.Linear}, dtype=torch.qint8
        )
    elif precision == "bf16" and not bf16_supported():
        log.warning(
            "bf16 requested but this CPU (%s) lacks native bf16; using fp32",
            torch.backends.cpu.get_cpu_capability(),
        )
        precision = "fp32"
    loaded.precision = precision
    return precision
