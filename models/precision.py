"""Faster inference paths for a loaded model, each with a clean fallback to fp32.

auto (the default): the fastest path this CPU runs natively among those the model's manifest
records as checked against fp32 on its test split (``inference.passed``, written by training and
by the release step), else fp32. fp32: the reference. bf16: the encoder's weights and activations
in bfloat16, only where the CPU has native bf16 instructions (AVX512-BF16 or AMX); elsewhere it
would be emulated and slower, so we fall back to fp32. int8: dynamic quantisation of the Linear
layers (weights int8, activations quantised on the fly) except each layer's feed-forward output
projection, useful on any x86 CPU.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.ao.quantization import per_channel_dynamic_qconfig

from models.artifact import LoadedModel

log = logging.getLogger(__name__)
PRECISIONS = ("auto", "fp32", "int8", "bf16")
# Faster paths, the preferred first: on this project's 2-core Xeon (AMX) bf16 was at least as
# fast as int8 (669-697 against 561-677 sentences/s; fp32 354-425) and kept fp32's scores within
# 0.1 points, where int8 lost 0.45-0.52 (README, Speed).
FAST_PATHS = ("bf16", "int8")
# Token rows per matrix shape on the bf16 path (models.encoder.BertEncoder.row_bucket): at most 63
# padding rows per batch of about 900 real ones, for a few dozen distinct shapes.
BF16_ROW_BUCKET = 64


def bf16_supported() -> bool:
    """True when the CPU runs bf16 matrix multiplication natively (AVX512-BF16 or AMX tiles)."""
    # torch's public capability string stops at "AVX512"; these private probes name the bf16
    # instructions. A torch build without them reads as "no", which falls back to fp32.
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def int8_supported() -> bool:
    """True when torch has a quantized kernel engine (fbgemm/x86 on x86-64, qnnpack on ARM)."""
    return any(engine != "none" for engine in torch.backends.quantized.supported_engines)


def native(path: str) -> bool:
    """Whether this CPU runs ``path`` natively; fp32 always."""
    return {"bf16": bf16_supported, "int8": int8_supported}.get(path, lambda: True)()


def validated_precision(loaded: LoadedModel) -> str:
    """The fastest path this model was checked to run without losing accuracy that this CPU runs
    natively; fp32 if none. Manifests from before ``passed`` existed name one path in ``precision``."""
    entry = loaded.manifest.get("inference", {})
    passed = entry.get("passed", [entry.get("precision", "fp32")])
    return next((path for path in FAST_PATHS if path in passed and native(path)), "fp32")


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
    if precision != "fp32" and not native(precision):
        log.warning(
            "%s requested but this CPU (%s) does not run it natively; using fp32",
            precision,
            torch.backends.cpu.get_cpu_capability(),
        )
        precision = "fp32"
    elif precision == "int8":
        # Per output channel: one scale per row of each weight matrix (one scale per matrix lost 2 role
        # points on v1). Whether a given model keeps its accuracy is checked per model
        # (eval.precision_check), which is what "auto" follows.
        loaded.model.encoder = torch.ao.quantization.quantize_dynamic(
            loaded.model.encoder, int8_layers(loaded.model.encoder), dtype=torch.qint8
        )
    elif precision == "bf16":
        # The whole encoder, not autocast: autocast re-casts every weight on every call and reached
        # about 500 sentences/s against 620-680 cast once (fp32 about 400); LayerNorm and softmax
        # still accumulate in fp32 inside torch's kernels.
        loaded.model.encoder.to(torch.bfloat16)
        loaded.model.encoder.row_bucket = BF16_ROW_BUCKET
    loaded.precision = precision
    return precision
