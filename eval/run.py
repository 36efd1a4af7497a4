"""``argstance evaluate``: score a model and the baselines on gold files and write a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.baselines import majority, tfidf_logreg
from eval.evaluate import baseline_predictor, evaluate_predictor, model_predictor, segmentation_f1
from eval.gold import DataError, GoldArticle, read_jsonl
from eval.report import write_report
from models.pipeline import Annotator


def run_evaluation(
    annotator: Annotator,
    data: list[Path],
    baseline_train: list[GoldArticle] | None = None,
    report_dir: Path | None = None,
    show_progress: bool = True,
    split: str | None = None,
) -> dict[str, Any]:
    """Evaluate on the articles of ``data`` (only those of ``split`` when given); baselines are
    trained on ``baseline_train`` when given."""
    articles = [a for path in data for a in read_jsonl(path) if split is None or a.split == split]
    if not articles:
        raise DataError(
            f"no articles{f' with split {split!r}' if split else ''} in {', '.join(map(str, data))}"
        )
    report: dict[str, Any] = {
        "model_name": annotator.loaded.name,
        "model_version": annotator.loaded.version,
        "inference_path": annotator.loaded.precision,
        "data": [str(p) for p in data],
        "split": split,
        "n_articles": len(articles),
        "n_sentences": sum(len(a.sentences) for a in articles),
        "model": evaluate_predictor(model_predictor(annotator), articles, show_progress=show_progress),
    }
    if any(a.text for a in articles):
        report["segmentation"] = segmentation_f1(articles)
    if baseline_train:
        report["baselines"] = {
            b.name: evaluate_predictor(
                baseline_predictor(b), articles, desc=b.name, show_progress=show_progress
            )
            for b in (majority(baseline_train), tfidf_logreg(baseline_train))
        }
    if report_dir is not None:
        report["files"] = [str(p) for p in write_report(report, report_dir)]
    return report
