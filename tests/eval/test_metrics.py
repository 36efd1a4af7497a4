from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score

from eval.evaluate import align
from eval.metrics import expected_calibration_error, task_metrics

GOLD = ["favor", "against", "neutral", "favor", "against", "neutral", "neutral", "favor"]
PRED = ["favor", "neutral", "neutral", "against", "against", "neutral", "favor", "favor"]
LABELS = ("favor", "against", "neutral")


def test_metrics_equal_scikit_learn_on_hand_written_labels() -> None:
    m = task_metrics(GOLD, PRED, LABELS)
    assert np.isclose(m["macro_f1"], f1_score(GOLD, PRED, average="macro"))
    for label in LABELS:
        assert np.isclose(
            m["per_class"][label]["precision"], precision_score(GOLD, PRED, labels=[label], average="macro")
        )
        assert np.isclose(
            m["per_class"][label]["recall"], recall_score(GOLD, PRED, labels=[label], average="macro")
        )
    assert m["accuracy"] == 5 / 8
    assert np.isclose(m["f_avg"], (m["per_class"]["favor"]["f1"] + m["per_class"]["against"]["f1"]) / 2)
    assert m["confusion"]["matrix"][0] == [2, 1, 0]  # gold favor: 2 right, 1 predicted against


def test_ece_by_hand() -> None:
    correct = np.array([True, False, True, True])
    confidence = np.array([0.95, 0.95, 0.55, 0.55])
    # bin 0.9-1.0: accuracy 0.5 vs 0.95; bin 0.5-0.6: accuracy 1.0 vs 0.55; each half the data
    assert np.isclose(expected_calibration_error(correct, confidence), 0.5 * 0.45 + 0.5 * 0.45)


def test_alignment_by_largest_overlap() -> None:
    gold = [(0, 10), (11, 20), (30, 40)]
    predicted = [(0, 14), (15, 25)]
    assert align(gold, predicted) == [0, 1, None]
