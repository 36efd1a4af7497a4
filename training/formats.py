"""Readers for the labelled formats users retrain on: gold JSON Lines, CSV, Label Studio JSON.

CSV: one row per sentence with columns ``doc_id, sentence, role, stance[, target]``;
rows of one document are consecutive and in article order; an empty cell is "not annotated".
Label Studio: the JSON export of a project whose labelling config has two ``<Labels>``
controls named ``role`` and ``stance`` over a ``<Text name="text">``; each labelled span is
one sentence. Both formats yield the same GoldArticle objects as the JSON Lines reader.
"""

from __future__ import annotations

import csv
import json
from itertools import groupby
from pathlib import Path
from typing import Any

from eval.gold import DataError, GoldArticle, GoldSentence, check_label, read_jsonl
from models.labels import DEFAULT_TARGET, ROLES, STANCES

CSV_COLUMNS = ("doc_id", "sentence", "role", "stance")


def load_articles(path: Path | str) -> list[GoldArticle]:
    """Load a labelled file in any supported format, chosen by its extension."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    readers = {".jsonl": read_jsonl, ".csv": read_csv, ".json": read_label_studio}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unknown format {path.suffix!r}; expected one of {', '.join(readers)}")
    return reader(path)


def read_csv(path: Path) -> list[GoldArticle]:
    """One row per sentence; consecutive rows with the same doc_id form one article."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(
                f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}"
            )
        rows = [(number, row) for number, row in enumerate(reader, 2)]
    if not rows:
        raise DataError(f"{path}: no rows found")
    return [
        _csv_article(path, doc_id, list(group))
        for doc_id, group in groupby(rows, key=lambda r: r[1]["doc_id"])
    ]


def _csv_article(path: Path, doc_id: str, rows: list[tuple[int, dict[str, str]]]) -> GoldArticle:
    sentences = []
    for number, row in rows:
        where = f"{path}:{number}"
        if not (row.get("sentence") or "").strip():
            raise DataError(f"{where}: field 'sentence' is empty")
        sentences.append(
            GoldSentence(
                text=row["sentence"],
                role=check_label(row.get("role") or None, ROLES, where, "role"),
                stance=check_label(row.get("stance") or None, STANCES, where, "stance"),
            )
        )
    target = (rows[0][1].get("target") or "").strip() or DEFAULT_TARGET
    return GoldArticle(id=doc_id, target=target, sentences=tuple(sentences))


def read_label_studio(path: Path) -> list[GoldArticle]:
    """Label Studio JSON export: one task per article, one labelled span per sentence."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from err
    if not isinstance(tasks, list):
        raise DataError(
            f"{path}: expected a Label Studio export (a JSON list of tasks), got {type(tasks).__name__}"
        )
    return [_label_studio_article(task, f"{path}: task {i}") for i, task in enumerate(tasks)]


def _label_studio_article(task: Any, where: str) -> GoldArticle:
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise DataError(f"{where}: expected 'data.text' with the article's text")
    annotations = task.get("annotations") or []
    results = annotations[0].get("result", []) if annotations else []
    spans: dict[tuple[int, int], dict[str, str | None]] = {}
    for result in results:
        value = result.get("value", {})
        if result.get("from_name") not in ("role", "stance") or "start" not in value:
            continue
        labels = value.get("labels") or [None]
        spans.setdefault((value["start"], value["end"]), {})[result["from_name"]] = labels[0]
    if not spans:
        raise DataError(f"{where}: no 'role' or 'stance' spans in its first annotation")
    raw = data["text"]
    sentences = tuple(
        GoldSentence(
            text=raw[start:end],
            role=check_label(labels.get("role"), ROLES, where, "role"),
            stance=check_label(labels.get("stance"), STANCES, where, "stance"),
            start=start,
            end=end,
        )
        for (start, end), labels in sorted(spans.items())
    )
    target = data.get("target") or DEFAULT_TARGET
    return GoldArticle(id=str(task.get("id", where)), target=target, sentences=sentences, text=raw)
