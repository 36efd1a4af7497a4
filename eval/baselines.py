"""Honest baselines trained on the same training data: majority class and TF-IDF + logistic regression."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from eval.gold import GoldArticle

TASKS = ("role", "stance")


@dataclass
class Baseline:
    """A per-task sentence classifier; ``predict`` takes (target, sentence) pairs."""

    name: str
    models: dict[str, Pipeline | str]

    def predict(self, task: str, pairs: list[tuple[str, str]]) -> list[str]:
        model = self.models[task]
        if isinstance(model, str):
            return [model] * len(pairs)
        return list(model.predict([_features(t, s) for t, s in pairs]))


def _features(target: str, sentence: str) -> str:
    # The target is prefixed so stance can depend on it, as in the neural model's pair input.
    return f"{target} || {sentence}"


def _labelled(articles: list[GoldArticle], task: str) -> tuple[list[str], list[str]]:
    rows = [(_features(a.target, s.text), getattr(s, task)) for a in articles for s in a.sentences]
    rows = [(x, y) for x, y in rows if y is not None]
    return [x for x, _ in rows], [y for _, y in rows]


def majority(train: list[GoldArticle]) -> Baseline:
    """Always predicts the most frequent training label of each task."""
    return Baseline("majority", {t: Counter(_labelled(train, t)[1]).most_common(1)[0][0] for t in TASKS})


def tfidf_logreg(train: list[GoldArticle], seed: int = 13) -> Baseline:
    """Word 1-2 gram TF-IDF with a class-balanced logistic regression per task."""
    models = {}
    for task in TASKS:
        x, y = _labelled(train, task)
        pipe = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
            LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed),
        )
        models[task] = pipe.fit(x, y)
    return Baseline("tfidf_logreg", models)
