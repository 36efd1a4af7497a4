"""Score a model (and baselines) against gold articles, in two modes.

units: the gold units are classified in order, with their article as context.
end_to_end: the raw text goes through the real segmenter and model; each gold unit takes the
labels of the predicted unit that overlaps it most (no overlap counts as none/neutral).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.baselines import Baseline
from eval.gold import GoldArticle
from eval.metrics import task_metrics
from models.labels import NO_ROLE, NO_STANCE, ROLES, STANCES
from models.pipeline import Annotator, article_stance
from models.text import prepare, segment

TASKS = ("role", "stance")
LABELS = {"role": ROLES, "stance": STANCES}


@dataclass(frozen=True)
class UnitPredictions:
    """Predicted labels (and confidences, when the predictor has them) for one article's units."""

    role: list[str]
    stance: list[str]
    role_conf: list[float] | None = None
    stance_conf: list[float] | None = None
    article: str | None = None


Predictor = Callable[[list[list[str]], list[str]], list[UnitPredictions]]


def model_predictor(annotator: Annotator) -> Predictor:
    """Wrap an annotator as a predictor of unit labels, with article stance."""
    config = annotator.loaded.model.config

    def predict(docs: list[list[str]], targets: list[str]) -> list[UnitPredictions]:
        out = []
        for probs in annotator.predict_units(docs, targets):
            role, stance = probs.role.argmax(1), probs.stance.argmax(1)
            out.append(
                UnitPredictions(
                    [config.roles[i] for i in role],
                    [config.stances[i] for i in stance],
                    probs.role.max(1).tolist(),
                    probs.stance.max(1).tolist(),
                    article_stance(probs, config.roles, config.stances).label,
                )
            )
        return out

    return predict


def baseline_predictor(baseline: Baseline) -> Predictor:
    def predict(docs: list[list[str]], targets: list[str]) -> list[UnitPredictions]:
        out = []
        for doc, target in zip(docs, targets, strict=True):
            pairs = [(target, s) for s in doc]
            out.append(UnitPredictions(baseline.predict("role", pairs), baseline.predict("stance", pairs)))
        return out

    return predict


def gold_offsets(article: GoldArticle) -> list[tuple[int, int]] | None:
    """Offsets of the gold units in the raw text: given ones, or found in order."""
    if article.text is None:
        return None
    spans, cursor = [], 0
    for s in article.sentences:
        if s.start is not None:
            spans.append((s.start, s.end))
            cursor = s.end
            continue
        found = article.text.find(s.text, cursor)
        if found < 0:
            return None
        spans.append((found, found + len(s.text)))
        cursor = found + len(s.text)
    return spans


def align(gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> list[int | None]:
    """For each gold span, the index of the predicted span with the largest character overlap."""
    out = []
    for gs, ge in gold:
        overlaps = [(min(ge, pe) - max(gs, ps), j) for j, (ps, pe) in enumerate(predicted)]
        best = max(overlaps, default=(0, None))
        out.append(best[1] if best[0] > 0 else None)
    return out


class Collector:
    """Gold and predicted labels of one mode, pooled and per target."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str, str, str, float | None]]] = defaultdict(list)

    def add(self, target: str, task: str, gold: str | None, pred: str, conf: float | None) -> None:
        if gold is not None:
            self.rows[task].append((target, gold, pred, conf))

    def metrics(self, rows: dict[str, list] | None = None) -> dict[str, Any]:
        rows = self.rows if rows is None else rows
        result = {}
        for task in TASKS:
            r = rows.get(task, [])
            confs = [c for *_, c in r]
            has_conf = bool(r) and all(c is not None for c in confs)
            result[task] = task_metrics(
                [g for _, g, _, _ in r], [p for _, _, p, _ in r], LABELS[task], confs if has_conf else None
            )
        return result

    def per_target(self) -> dict[str, Any]:
        targets = sorted({t for rows in self.rows.values() for t, *_ in rows})
        return {
            target: self.metrics(
                {task: [row for row in rows if row[0] == target] for task, rows in self.rows.items()}
            )
            for target in targets
        }


def evaluate_predictor(
    predict: Predictor,
    articles: list[GoldArticle],
    chunk: int = 8,
    desc: str = "evaluating",
    show_progress: bool = True,
) -> dict[str, Any]:
    """Both modes for one predictor; end-to-end only over articles that carry raw text."""
    units, e2e = Collector(), Collector()
    article_rows: list[tuple[str, str]] = []
    chunks = [articles[i : i + chunk] for i in range(0, len(articles), chunk)]
    for batch in tqdm(chunks, desc=desc, unit="chunk", disable=not show_progress):
        targets = [a.target for a in batch]
        preds = predict([[s.text for s in a.sentences] for a in batch], targets)
        for article, pred in zip(batch, preds, strict=True):
            _collect(units, article, pred, list(range(len(article.sentences))))
            wanted = article.meta.get("article_stance")
            if pred.article is not None and wanted in STANCES:
                article_rows.append((wanted, pred.article))
        _end_to_end(predict, batch, e2e)
    report: dict[str, Any] = {"units": units.metrics(), "per_target_units": units.per_target()}
    if e2e.rows:
        report["end_to_end"] = e2e.metrics()
        report["per_target_end_to_end"] = e2e.per_target()
    if article_rows:
        report["article_stance"] = task_metrics(
            [g for g, _ in article_rows], [p for _, p in article_rows], STANCES
        )
    return report


def _collect(
    collector: Collector, article: GoldArticle, pred: UnitPredictions, index: list[int | None]
) -> None:
    for s, j in zip(article.sentences, index, strict=True):
        for task, fallback in (("role", NO_ROLE), ("stance", NO_STANCE)):
            labels, confs = getattr(pred, task), getattr(pred, f"{task}_conf")
            label = labels[j] if j is not None else fallback
            conf = (confs[j] if j is not None else 1.0) if confs is not None else None
            collector.add(article.target, task, getattr(s, task), label, conf)


def _end_to_end(predict: Predictor, batch: list[GoldArticle], collector: Collector) -> None:
    spans = [(a, gold_offsets(a)) for a in batch]
    spans = [(a, g) for a, g in spans if g is not None]
    if not spans:
        return
    units = [segment(prepare(a.text, "text").text) for a, _ in spans]
    preds = predict([[u.text for u in doc] for doc in units], [a.target for a, _ in spans])
    for (article, gold), doc, pred in zip(spans, units, preds, strict=True):
        _collect(collector, article, pred, align(gold, [(u.start, u.end) for u in doc]))


def segmentation_f1(articles: list[GoldArticle]) -> dict[str, float]:
    """Unit F1 of the segmenter: a unit counts when both its boundaries match a gold unit."""
    tp = n_pred = n_gold = 0
    for article in articles:
        gold = gold_offsets(article)
        if gold is None:
            continue
        predicted = {(u.start, u.end) for u in segment(article.text)}
        tp += len(predicted & set(gold))
        n_pred += len(predicted)
        n_gold += len(gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "gold_units": n_gold,
        "predicted_units": n_pred,
    }


def mean_f1(report: dict[str, Any], mode: str) -> float:
    return float(np.mean([report[mode][t]["macro_f1"] for t in TASKS]))
