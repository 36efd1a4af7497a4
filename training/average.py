"""``argstance average``: several trained versions of one model become one with their mean weights.

Runs that continue from the same model stay close in weight space, so the mean of their weights is
a working model too (a "model soup"): it costs nothing at inference and evens out the run-to-run
noise of any one of them (README, Quality).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from models import artifact
from models.registry import Registry
from training.formats import load_articles
from training.train import file_record, register, split_articles


@dataclass(frozen=True)
class AverageRequest:
    """Which registry versions to average, the labelled data to score the result on, where it goes."""

    versions: list[str]
    data: list[Path]
    registry: Path
    version: str | None = None


def average_weights(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of state dicts with the same keys and shapes, computed in fp32 and
    stored in each tensor's own dtype; integer buffers are taken from the first."""
    mean = {}
    for key, first in states[0].items():
        if first.is_floating_point():
            mean[key] = (sum(state[key].float() for state in states) / len(states)).to(first.dtype)
        else:
            mean[key] = first.clone()
    return mean


def run_average(request: AverageRequest, show_progress: bool = True) -> dict[str, Any]:
    """Register the mean of ``request.versions`` as a new version, scored on the test split of
    ``request.data``. Versions must share architecture and tokenizer; anything else is refused
    before any work."""
    if len(set(request.versions)) < 2:
        raise ValueError(f"averaging needs at least two different versions, got {request.versions}")
    started = time.perf_counter()
    registry = Registry(request.registry)
    paths = [registry.path(v) for v in request.versions]  # unknown versions fail before any loading
    data_records = [file_record(p) for p in request.data]
    splits = split_articles([a for path in request.data for a in load_articles(path)])
    loaded = [artifact.load_trainable(path) for path in paths]
    model, tokenizer = loaded[0]
    states = [m.state_dict() for m, _ in loaded]
    for name, (other, other_tokenizer), state in zip(
        request.versions[1:], loaded[1:], states[1:], strict=True
    ):
        same_shapes = state.keys() == states[0].keys() and all(
            state[k].shape == states[0][k].shape for k in state
        )
        if (
            other.config != model.config
            or other_tokenizer.get_vocab() != tokenizer.get_vocab()
            or not same_shapes
        ):
            raise ValueError(
                f"{name} differs from {request.versions[0]} in architecture or tokenizer; "
                "only versions of one model (e.g. runs continued from the same version) can be averaged"
            )
    model.load_state_dict(average_weights(states))
    training = {
        "averaged_from": request.versions,
        # Each source's own training record, so the averaged model's lineage stays complete.
        "sources": {
            name: json.loads((path / "training.json").read_text(encoding="utf-8"))
            if (path / "training.json").is_file()
            else None
            for name, path in zip(request.versions, paths, strict=True)
        },
        "encoder_layers": model.config.encoder_layers,
        "data": data_records,
        "articles": {"train": len(splits.train), "dev": len(splits.dev), "test": len(splits.test)},
        "seconds": round(time.perf_counter() - started, 1),
        "threads": torch.get_num_threads(),
    }
    version, metrics = register(
        model, tokenizer, registry, request.version, splits.test, training, {}, show_progress
    )
    return {"version": version, "path": str(registry.path(version)), "metrics": metrics, "training": training}
