"""Gold articles in the guidelines' JSON Lines format: types, reading and validation.

Every error names the file, the line, the field and the bad value, with the allowed values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.labels import DEFAULT_TARGET, ROLES, STANCES


class DataError(ValueError):
    """A labelled file that cannot be used as it is."""


@dataclass(frozen=True)
class GoldSentence:
    """One labelled unit; ``None`` labels mean "not annotated" and are masked in training."""

    text: str
    role: str | None
    stance: str | None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class GoldArticle:
    """One labelled article; ``text`` is the raw article when the file carries it."""

    id: str
    target: str
    sentences: tuple[GoldSentence, ...]
    text: str | None = None
    split: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def check_label(value: Any, allowed: tuple[str, ...], where: str, name: str) -> str | None:
    """Return a valid label or None; anything else is an error naming where it was found."""
    if value is None:
        return None
    if value not in allowed:
        raise DataError(
            f"{where}: field '{name}' has unknown value {value!r}; allowed: {', '.join(allowed)} or null"
        )
    return value


def parse_article(record: Any, where: str) -> GoldArticle:
    """Build a GoldArticle from one decoded JSON object, validating labels and offsets."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object per line, got {type(record).__name__}")
    sentences = record.get("sentences")
    if not isinstance(sentences, list) or not sentences:
        raise DataError(f"{where}: field 'sentences' must be a non-empty list, got {sentences!r:.60}")
    raw = record.get("text")
    if raw is not None and not isinstance(raw, str):
        raise DataError(f"{where}: field 'text' must be the raw article as a string")
    units = tuple(_parse_sentence(s, raw, f"{where}: sentences[{i}]") for i, s in enumerate(sentences))
    known = {"id", "target", "sentences", "text", "split"}
    return GoldArticle(
        id=str(record.get("id") or where),
        target=str(record.get("target") or DEFAULT_TARGET),
        sentences=units,
        text=raw,
        split=record.get("split"),
        meta={k: v for k, v in record.items() if k not in known},
    )


def _parse_sentence(item: Any, raw: str | None, where: str) -> GoldSentence:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
        raise DataError(f"{where}: expected an object with a non-empty 'text' string, got {item!r:.80}")
    start, end = item.get("start"), item.get("end")
    if (start is None) != (end is None):
        raise DataError(f"{where}: give both 'start' and 'end' or neither")
    if start is not None and raw is not None and raw[start:end] != item["text"]:
        raise DataError(f"{where}: offsets [{start}:{end}] do not match its text {item['text'][:50]!r}")
    return GoldSentence(
        text=item["text"],
        role=check_label(item.get("role"), ROLES, where, "role"),
        stance=check_label(item.get("stance"), STANCES, where, "stance"),
        start=start,
        end=end,
    )


def read_jsonl(path: Path) -> list[GoldArticle]:
    """Read one article per line; blank lines are skipped."""
    articles = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from err
            articles.append(parse_article(record, where))
    if not articles:
        raise DataError(f"{path}: no articles found")
    return articles
