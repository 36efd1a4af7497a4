"""Faster inference paths for a loaded model, each with a clean fallback to fp32.

fp32: the reference. int8: dynamic quantisation of the Linear layers (weights int8,
activations quantised on the fly), useful on any x86 CPU. bf16: autocast, only where the CPU
has native bf16 matrix instructions (AVX512-BF16 or AMX); elsewhere it would be emulated and
slower, so we fall back to fp32.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from models.artifact import LoadedModel

log = logging.getLogger(__name__)
PRECISIONS = ("fp32", "int8", "bf16")


def bf16_supported() -> bool:
    """True when the CPU runs bf16 matrix multiplication natively."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX_BF16", "AVX512_AMX")


def apply_precision(loaded: LoadedModel, precision: str) -> str:
    """Switch the model to ``precision`` in place; returns the path that will actually run."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "int8":
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
