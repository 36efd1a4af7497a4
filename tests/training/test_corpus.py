from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from eval.gold import DataError
from training.corpus import CORPUS_PATH, check_corpus, composition


def test_shipped_corpus_passes_the_validator() -> None:
    result = check_corpus(CORPUS_PATH)
    assert result.errors == []
    assert len(result.articles) >= 120
    assert sum(len(a.sentences) for a in result.articles) >= 3500
    assert {a.split for a in result.articles} == {"train", "dev", "test"}
    assert "| articles |" in composition(result.articles)


def test_validator_names_line_field_and_value(tmp_path: Path) -> None:
    raw = "Nations decide. Critics object."
    good = {
        "id": "a",
        "split": "train",
        "text": raw,
        "sentences": [
            {"text": "Nations decide.", "start": 0, "end": 15, "role": "claim", "stance": "favor"},
            {"text": "Critics object.", "start": 16, "end": 31, "role": "rebuttal", "stance": "against"},
        ],
    }
    uncovered = {**good, "id": "b", "split": "test", "sentences": good["sentences"][:1]}
    leaked = {**good, "id": "c", "split": "dev"}
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (good, uncovered, leaked)) + "\n")
    errors = "\n".join(check_corpus(path).errors)
    assert "c.jsonl:2 (b): field 'text' has characters in no unit" in errors
    assert "split leakage" in errors


def test_agreement_of_the_second_pass(tmp_path: Path) -> None:
    from training.corpus import agreement

    labels = [("claim", "favor"), ("claim", "against"), ("none", "neutral"), ("evidence", "neutral")]
    blind = [("claim", "favor"), ("rebuttal", "against"), ("none", "neutral"), ("evidence", "favor")]
    rows = [
        {
            "id": "a",
            "index": i,
            "first": {"role": f[0], "stance": f[1]},
            "blind": {"role": b[0], "stance": b[1]},
            "final": {"role": b[0], "stance": f[1]},
        }
        for i, (f, b) in enumerate(zip(labels, blind, strict=True))
    ]
    path = tmp_path / "second.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = agreement(path)
    assert result["role"]["agreement"] == 0.75
    assert result["role"]["changed_by_adjudication"] == 1
    assert result["stance"]["changed_by_adjudication"] == 0
    assert 0 < result["role"]["kappa"] < 1
    assert result["role"]["macro_f1"] == round(
        f1_score([f[0] for f in labels], [b[0] for b in blind], average="macro"), 3
    )
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "a", "split": "dev", "target": "t", "sentences": [{"text": "x."}]}) + "\n"
    )
    assert agreement(path, "dev", corpus)["role"]["units"] == 4
    with pytest.raises(DataError, match="no second-pass units in split 'test'"):
        agreement(path, "test", corpus)
