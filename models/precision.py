"""Faster inference paths for a loaded model, each with a clean fallback to fp32.

auto (the default): the path recorded in the model's manifest as checked against fp32 on its
test split (``inference.precision``, written by training and by the release step), else fp32.
fp32: the reference. int8: dynamic quantisation of the Linear layers (weights int8,
activations quantised on the fly) except each layer's feed-forward output projection, useful on
any x86 CPU. bf16: autocast, only where the CPU has native bf16 matrix instructions (AVX512-BF16
or AMX); elsewhere it would be emulated and slower, so we fall back to fp32.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.ao.quantization import per_channel_dynamic_qconfig

from models.artifact import LoadedModel

log = logging.getLogger(__name__)
PRECISIONS = ("auto", "fp32", "int8", "bf16")


def bf16_supported() -> bool:
    """True when the CPU runs bf16 matrix multiplication natively."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX_BF16", "AVX512_AMX")


def int8_supported() -> bool:
    """True when torch has a quantized kernel engine (fbgemm/x86 on x86-64, qnnpack on ARM)."""
    return any(engine != "none" for engine in torch.backends.quantized.supported_engines)


def validated_precision(loaded: LoadedModel) -> str:
    """The inference path this model was checked to run without losing accuracy (fp32 if unchecked)."""
    chosen = loaded.manifest.get("inference", {}).get("precision", "fp32")
    return chosen if chosen in PRECISIONS and chosen != "auto" else "fp32"


def int8_layers(encoder: nn.Module) -> dict[str, object]:
    """The Linear layers to quantise: all but the feed-forward output projections (``layer.N.output.dense``).

    Their inputs are GELU activations with a few very large values, and dynamic quantisation gives
    a whole batch's activations one scale, so the small values lose their resolution: on a 3-layer
    model, quantising them too cost 0.9 role and 1.0 stance points on the test split, leaving them
    in fp32 changed role by +0.1 and stance by -0.3 (README, Speed).
    """
    return {
        name: per_channel_dynamic_qconfig
        for name, module in encoder.named_modules()
        if isinstance(module, nn.Linear)
        and not (name.endswith(".output.dense") and ".attention." not in name)
    }


def apply_precision(loaded: LoadedModel, precision: str) -> str:
    """Switch the model to ``precision`` in place; returns the path that will actually run."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        precision = validated_precision(loaded)
    if precision == "int8" and not int8_supported():
        log.warning("int8 requested but torch has no quantized engine for this CPU; using fp32")
        precision = "fp32"
    elif precision == "int8":
        # Per output channel: one scale per row of each weight matrix (one scale per matrix lost 2 role
        # points on v1). Whether a given model keeps its accuracy is checked per model
        # (eval.precision_check), which is what "auto" follows.
        loaded.model.encoder = torch.ao.quantization.quantize_dynamic(
            loaded.model.encoder, int8_layers(loaded.model.encoder), dtype=torch.qint8
        )
    elif precision == "bf16" and not bf16_supported():
        log.warning(
            "bf16 requested but this CPU (%s) lacks native bf16; using fp32",
            torch.backends.cpu.get_cpu_capability(),
        )
        precision = "fp32"
    loaded.precision = precision
    return precision
