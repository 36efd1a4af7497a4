"""Decide, per model, whether the int8 path may be its default: it must score within a tolerance
of fp32 on the same labelled articles, for both tasks, in units and end-to-end mode."""

from __future__ import annotations

import copy
from typing import Any

from eval.evaluate import TASKS, evaluate_predictor, model_predictor
from eval.gold import GoldArticle
from models.artifact import LoadedModel
from models.pipeline import Annotator
from models.precision import apply_precision, int8_supported

# The bar for any faster path: macro-F1 within half a point of fp32.
INT8_TOLERANCE = 0.005
MODES = ("units", "end_to_end")


def int8_check(
    loaded: LoadedModel,
    articles: list[GoldArticle],
    fp32_scores: dict[str, Any],
    show_progress: bool = True,
) -> dict[str, Any]:
    """Score an int8 copy of ``loaded`` on ``articles``; ``fp32_scores`` is evaluate_predictor's
    report for the fp32 model on the same articles. Returns the manifest's ``inference`` entry."""
    if not articles:
        return {"precision": "fp32", "reason": "no labelled articles to check int8 against"}
    if not int8_supported():
        return {"precision": "fp32", "reason": "torch has no quantized engine on this CPU"}
    quantised = LoadedModel(copy.deepcopy(loaded.model), loaded.tokenizer, loaded.manifest, loaded.path)
    apply_precision(quantised, "int8")
    int8_scores = evaluate_predictor(
        model_predictor(Annotator(quantised)), articles, desc="int8 check", show_progress=show_progress
    )
    macro_f1 = {
        f"{mode}/{task}": {
            "fp32": round(fp32_scores[mode][task]["macro_f1"], 4),
            "int8": round(int8_scores[mode][task]["macro_f1"], 4),
        }
        for mode in MODES
        if mode in fp32_scores and mode in int8_scores
        for task in TASKS
    }
    worst_loss = max(row["fp32"] - row["int8"] for row in macro_f1.values())
    return {
        "precision": "int8" if worst_loss <= INT8_TOLERANCE else "fp32",
        "tolerance": INT8_TOLERANCE,
        "worst_macro_f1_loss": round(worst_loss, 4),
        "checked_articles": len(articles),
        "macro_f1": macro_f1,
    }
