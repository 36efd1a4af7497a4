"""Decide, per model, which faster inference paths may be its default: each must score within a
tolerance of fp32 on the same labelled articles, for both tasks, in units and end-to-end mode."""

from __future__ import annotations

import copy
from typing import Any

from eval.evaluate import TASKS, evaluate_predictor, model_predictor
from eval.gold import GoldArticle
from models.artifact import LoadedModel
from models.pipeline import Annotator
from models.precision import FAST_PATHS, apply_precision, native

# The bar for any faster path: macro-F1 within half a point of fp32.
TOLERANCE = 0.005
MODES = ("units", "end_to_end")


def fast_path_check(
    loaded: LoadedModel,
    articles: list[GoldArticle],
    fp32_scores: dict[str, Any],
    show_progress: bool = True,
) -> dict[str, Any]:
    """Score a copy of ``loaded`` on each faster path this CPU runs natively; ``fp32_scores`` is
    evaluate_predictor's report for the fp32 model on the same articles. Returns the manifest's
    ``inference`` entry: the paths that passed, each path's figures, and the one ``auto`` would
    take on this machine (``precision``)."""
    entry: dict[str, Any] = {"tolerance": TOLERANCE, "checked_articles": len(articles), "paths": {}}
    for path in FAST_PATHS:
        if not articles:
            entry["paths"][path] = {"skipped": "no labelled articles to check against"}
        elif not native(path):
            entry["paths"][path] = {"skipped": "the checking CPU does not run it natively"}
        else:
            entry["paths"][path] = _compare(loaded, path, articles, fp32_scores, show_progress)
    entry["passed"] = [
        path for path, result in entry["paths"].items() if result.get("worst_macro_f1_loss", 1) <= TOLERANCE
    ]
    entry["precision"] = entry["passed"][0] if entry["passed"] else "fp32"
    return entry


def _compare(
    loaded: LoadedModel,
    path: str,
    articles: list[GoldArticle],
    fp32_scores: dict[str, Any],
    show_progress: bool,
) -> dict[str, Any]:
    faster = LoadedModel(copy.deepcopy(loaded.model), loaded.tokenizer, loaded.manifest, loaded.path)
    apply_precision(faster, path)
    scores = evaluate_predictor(
        model_predictor(Annotator(faster)), articles, desc=f"{path} check", show_progress=show_progress
    )
    macro_f1 = {
        f"{mode}/{task}": {
            "fp32": round(fp32_scores[mode][task]["macro_f1"], 4),
            path: round(scores[mode][task]["macro_f1"], 4),
        }
        for mode in MODES
        if mode in fp32_scores and mode in scores
        for task in TASKS
    }
    worst_loss = max(row["fp32"] - row[path] for row in macro_f1.values())
    return {"worst_macro_f1_loss": round(worst_loss, 4), "macro_f1": macro_f1}
