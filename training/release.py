"""The release step: make a registry version the model shipped in the package.

The shipped copy stores fp16 weights (half the size in git), so its scores are measured again on
the weights as shipped, and the checks that pick its default inference path are redone on them. Releasing ``default``
re-checks the shipped model itself, e.g. after the checks change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from eval.evaluate import evaluate_predictor, model_predictor
from eval.precision_check import fast_path_check
from models import artifact
from models.pipeline import Annotator
from models.registry import SHIPPED_MODEL, Registry
from training.card import model_card
from training.formats import load_articles
from training.train import split_articles

# Keys of a manifest that describe the release; the rest is rewritten by artifact.save.
IDENTITY = ("name", "version", "base_model")


def release(
    version: str,
    registry: Path,
    data: list[Path],
    destination: Path = SHIPPED_MODEL,
    notes: str | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Write ``version`` to ``destination`` with fp16 weights, scored on the test split of ``data``.

    ``notes`` (Markdown) are appended to the model card as its release notes. The new copy is
    built beside the destination and swapped in only when complete.
    """
    path = Registry(registry).path(version)
    record = path / "training.json"
    if not record.is_file():
        raise ValueError(f"{version} has no training.json: only versions trained by argstance can ship")
    test = split_articles([a for path in data for a in load_articles(path)]).test
    if not test:
        raise ValueError("the release data has no test split to score the shipped weights on")
    model, tokenizer = artifact.load_trainable(path)
    # Round the weights through fp16 now, so what is scored is exactly what will be stored.
    model.half().float()
    registered_metrics = artifact.read_metrics(path)
    source = artifact.LoadedModel.from_trainable(model, tokenizer, artifact.read_manifest(path), path)
    scores = evaluate_predictor(
        model_predictor(Annotator(source)), test, desc="shipped fp16", show_progress=show_progress
    )
    manifest = {k: source.manifest[k] for k in IDENTITY if k in source.manifest}
    manifest["inference"] = fast_path_check(source, test, scores, show_progress=show_progress)
    training = json.loads(record.read_text(encoding="utf-8"))
    metrics = {
        **registered_metrics,
        "test": scores,
        "registry_fp32_test": registered_metrics.get("registry_fp32_test", registered_metrics.get("test")),
    }
    building = destination.with_name(f".{destination.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    artifact.save(
        model,
        tokenizer,
        building,
        manifest,
        extras={
            "training.json": training,
            "metrics.json": metrics,
            "README.md": model_card(manifest, training, metrics, model.config)
            + (f"\n## Release notes\n{notes.strip()}\n" if notes else ""),
        },
        half=True,
    )
    retired = destination.with_name(f".{destination.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if destination.exists():
        destination.rename(retired)
    building.rename(destination)
    shutil.rmtree(retired, ignore_errors=True)
    return {"version": version, "path": str(destination), "test": scores, "inference": manifest["inference"]}
