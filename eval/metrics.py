"""Classification metrics for one task: scikit-learn for the counts, plus SemEval F_avg and ECE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def task_metrics(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    confidences: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Macro-F1, accuracy, per-class P/R/F1, confusion matrix (rows gold, columns predicted), ECE."""
    labels = list(labels)
    if not gold:
        return {"n": 0}
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    result: dict[str, Any] = {
        "n": len(gold),
        # Macro over labels seen in gold or predictions (scikit-learn's default), so a test set
        # that lacks a class (e.g. claims only) is not scored as if that class had F1 = 0.
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(gold, predicted)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(gold, predicted, labels=labels).tolist()},
    }
    if {"favor", "against"} <= set(labels):
        result["f_avg"] = (result["per_class"]["favor"]["f1"] + result["per_class"]["against"]["f1"]) / 2
    if confidences is not None:
        result["ece"] = expected_calibration_error(
            np.array(gold) == np.array(predicted), np.array(confidences)
        )
    return result


def expected_calibration_error(correct: np.ndarray, confidence: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total)
