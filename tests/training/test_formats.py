from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import DataError
from training.formats import load_articles


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_with_nulls_and_unknown_fields(tmp_path: Path) -> None:
    record = {
        "id": "a1",
        "author": "ignored",
        "sentences": [{"text": "Nations decide.", "role": "claim", "stance": None, "mood": "x"}],
    }
    (article,) = load_articles(write(tmp_path / "a.jsonl", json.dumps(record) + "\n"))
    assert article.target == "cyber sovereignty"
    assert article.sentences[0].role == "claim"
    assert article.sentences[0].stance is None


def test_unknown_label_names_file_line_field_and_value(tmp_path: Path) -> None:
    good = {"id": "a", "sentences": [{"text": "Fine.", "role": "none", "stance": "neutral"}]}
    bad = {"id": "b", "sentences": [{"text": "Hmm.", "role": "claim", "stance": "pro"}]}
    path = write(tmp_path / "bad.jsonl", json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(
        DataError, match=r"bad\.jsonl:2: sentences\[0\]: field 'stance' has unknown value 'pro'"
    ):
        load_articles(path)


def test_offsets_must_match_the_raw_text(tmp_path: Path) -> None:
    record = {
        "id": "a",
        "text": "One. Two.",
        "sentences": [{"text": "Two.", "start": 0, "end": 4, "role": "none"}],
    }
    with pytest.raises(DataError, match="offsets"):
        load_articles(write(tmp_path / "o.jsonl", json.dumps(record) + "\n"))


def test_invalid_json_line_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"x\.jsonl:1: not valid JSON"):
        load_articles(write(tmp_path / "x.jsonl", "{nope\n"))


def test_csv_rows_group_into_articles(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.csv",
        "doc_id,sentence,role,stance,target\n"
        "d1,Walls hurt trade.,claim,against,national firewalls\n"
        "d1,Exports fell 4%.,evidence,,national firewalls\n"
        "d2,Share this,none,neutral,\n",
    )
    d1, d2 = load_articles(path)
    assert (d1.id, d1.target, len(d1.sentences)) == ("d1", "national firewalls", 2)
    assert d1.sentences[1].stance is None
    assert d2.target == "cyber sovereignty"


def test_csv_bad_label_names_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.csv", "doc_id,sentence,role,stance\nd1,Fine.,none,neutral\nd1,Bad.,premise,favor\n"
    )
    with pytest.raises(DataError, match=r"s\.csv:3: field 'role' has unknown value 'premise'"):
        load_articles(path)


def test_csv_missing_column(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing column"):
        load_articles(write(tmp_path / "s.csv", "doc,sentence\nd1,x\n"))


def test_label_studio_export(tmp_path: Path) -> None:
    text = "Nations decide. Critics object."
    task = {
        "id": 7,
        "data": {"text": text, "target": "data localisation"},
        "annotations": [
            {
                "result": [
                    {"from_name": "role", "value": {"start": 0, "end": 15, "labels": ["claim"]}},
                    {"from_name": "stance", "value": {"start": 0, "end": 15, "labels": ["favor"]}},
                    {"from_name": "role", "value": {"start": 16, "end": 31, "labels": ["rebuttal"]}},
                ]
            }
        ],
    }
    (article,) = load_articles(write(tmp_path / "ls.json", json.dumps([task])))
    assert article.target == "data localisation"
    assert [(s.text, s.role, s.stance) for s in article.sentences] == [
        ("Nations decide.", "claim", "favor"),
        ("Critics object.", "rebuttal", None),
    ]


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown format"):
        load_articles(write(tmp_path / "a.txt", "x"))
