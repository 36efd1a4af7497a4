"""The shipped op-ed corpus and its validator: ``python -m training.corpus check PATH``.

Checks the schema and label values (through the loader), offsets (``text[start:end]``), that
units cover the raw text, duplicate sentences within and across splits, and article-level split
leakage; then prints composition tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from eval.gold import DataError, GoldArticle, read_jsonl
from models.text import bullet_spans

CORPUS_DIR = Path(__file__).resolve().parent / "data"
CORPUS_PATH = CORPUS_DIR / "opeds.jsonl"
# The blind second labelling pass: first, blind and final (adjudicated) labels per unit.
SECOND_PASS_PATH = CORPUS_DIR / "second-pass.jsonl"
SPLITS = ("train", "dev", "test")


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    articles: list[GoldArticle] = field(default_factory=list)


def training_articles(paths: list[Path] | None = None) -> list[GoldArticle]:
    """Train-split (and unsplit) articles of labelled files, by default the shipped corpus:
    what the baselines are fitted on."""
    from training.formats import load_articles

    return [a for p in paths or [CORPUS_PATH] for a in load_articles(p) if a.split in (None, "train")]


def check_corpus(path: Path) -> CheckResult:
    """Validate a corpus file; structural problems are errors, repeated boilerplate is a warning."""
    result = CheckResult()
    try:
        result.articles = read_jsonl(path)
    except DataError as err:
        result.errors.append(str(err))
        return result
    line_of = _line_numbers(path)
    seen_ids: dict[str, int] = {}
    for article in result.articles:
        where = f"{path}:{line_of.get(article.id, '?')} ({article.id})"
        if article.id in seen_ids:
            result.errors.append(
                f"{where}: field 'id' value {article.id!r} repeats line {seen_ids[article.id]}"
            )
        seen_ids[article.id] = line_of.get(article.id, 0)
        if article.split not in SPLITS:
            result.errors.append(
                f"{where}: field 'split' has value {article.split!r}; allowed: {', '.join(SPLITS)}"
            )
        result.errors += _coverage_errors(article, where)
    result.errors += _duplicates(result.articles, result.warnings)
    return result


def _line_numbers(path: Path) -> dict[str, int]:
    lines = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            lines[json.loads(line).get("id")] = number
    return lines


def _coverage_errors(article: GoldArticle, where: str) -> list[str]:
    """Every unit needs offsets into the raw text, and every visible character must be in a unit."""
    if article.text is None:
        return [f"{where}: field 'text' (the raw article) is missing"]
    errors, covered = [], [False] * len(article.text)
    for i, s in enumerate(article.sentences):
        if s.start is None:
            errors.append(f"{where}: sentences[{i}] has no 'start'/'end' offsets")
            continue
        for k in range(s.start, s.end):
            if covered[k]:
                errors.append(f"{where}: sentences[{i}] overlaps an earlier unit at character {k}")
                break
            covered[k] = True
    bullets = {k for s, e in bullet_spans(article.text) for k in range(s, e)}
    loose = [
        k for k, ch in enumerate(article.text) if not ch.isspace() and not covered[k] and k not in bullets
    ]
    if loose:
        k = loose[0]
        errors.append(
            f"{where}: field 'text' has characters in no unit, first at {k}: {article.text[k : k + 40]!r}"
        )
    return errors


def _duplicates(articles: list[GoldArticle], warnings: list[str]) -> list[str]:
    """Argumentative sentences must not repeat across splits (leakage); boilerplate may."""
    splits_of: dict[str, set[str]] = defaultdict(set)
    count: Counter[str] = Counter()
    for article in articles:
        for s in article.sentences:
            if s.role != "none":
                key = " ".join(s.text.lower().split())
                splits_of[key].add(article.split or "?")
                count[key] += 1
    errors = [
        f"split leakage: sentence {text[:60]!r} appears in splits {sorted(splits)}"
        for text, splits in splits_of.items()
        if len(splits) > 1
    ]
    warnings += [
        f"duplicate sentence ({n}x) within one split: {text[:60]!r}"
        for text, n in count.items()
        if n > 1 and len(splits_of[text]) == 1
    ]
    return errors


def composition(articles: list[GoldArticle]) -> str:
    """Markdown tables: articles per target and split, label counts per split, perspectives."""
    by_split = {s: [a for a in articles if a.split == s] for s in SPLITS}
    lines = ["| | " + " | ".join(SPLITS) + " | all |", "|---" * (len(SPLITS) + 2) + "|"]

    def row(name: str, counter_of) -> str:
        values = [counter_of(by_split[s]) for s in SPLITS] + [counter_of(articles)]
        return f"| {name} | " + " | ".join(str(v) for v in values) + " |"

    lines.append(row("articles", len))
    lines.append(row("sentences", lambda arts: sum(len(a.sentences) for a in arts)))
    for task in ("role", "stance"):
        labels = sorted({getattr(s, task) for a in articles for s in a.sentences} - {None})
        for label in labels:
            lines.append(
                row(
                    f"{task}={label}",
                    lambda arts, t=task, lab=label: sum(
                        getattr(s, t) == lab for a in arts for s in a.sentences
                    ),
                )
            )
    for key in ("target", "perspective_group", "genre", "article_stance", "noise"):
        values = Counter(_meta(a, key) for a in articles)
        lines += ["", f"| {key} | " + " | ".join(SPLITS) + " | all |", "|---" * (len(SPLITS) + 2) + "|"]
        for value, _ in values.most_common():
            lines.append(row(str(value), lambda arts, k=key, v=value: sum(_meta(a, k) == v for a in arts)))
    return "\n".join(lines)


def agreement(
    path: Path = SECOND_PASS_PATH, split: str | None = None, corpus: Path = CORPUS_PATH
) -> dict[str, dict[str, float]]:
    """Cohen's kappa, raw agreement and macro-F1 between the first and the blind labels of the
    second pass, over the articles of ``split`` in ``corpus`` when given. Macro-F1 is what the
    model is scored with, so it says how a second annotator would score against the first."""
    from sklearn.metrics import cohen_kappa_score, f1_score

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split is not None:
        in_split = {a.id for a in read_jsonl(corpus) if a.split == split}
        rows = [r for r in rows if r["id"] in in_split]
    if not rows:
        raise DataError(f"{path}: no second-pass units{f' in split {split!r}' if split else ''}")
    result = {}
    for task in ("role", "stance"):
        first, blind = [r["first"][task] for r in rows], [r["blind"][task] for r in rows]
        result[task] = {
            "units": len(rows),
            "articles": len({r["id"] for r in rows}),
            "kappa": round(float(cohen_kappa_score(first, blind)), 3),
            "agreement": round(sum(a == b for a, b in zip(first, blind, strict=True)) / len(rows), 3),
            "macro_f1": round(float(f1_score(first, blind, average="macro")), 3),
            "changed_by_adjudication": sum(r["first"][task] != r["final"][task] for r in rows),
        }
    return result


def _meta(article: GoldArticle, key: str) -> object:
    return article.target if key == "target" else article.meta.get(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.corpus", description="Validate a labelled corpus."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a corpus file and print its composition")
    check.add_argument("path", nargs="?", type=Path, default=CORPUS_PATH)
    agree = sub.add_parser("agreement", help="inter-annotator agreement of the blind second pass")
    agree.add_argument("path", nargs="?", type=Path, default=SECOND_PASS_PATH)
    agree.add_argument(
        "--split", help="only the second-pass units of this split's articles (of the shipped corpus)"
    )
    args = parser.parse_args(argv)
    if args.command == "agreement":
        print(json.dumps(agreement(args.path, args.split), indent=1))
        return 0
    result = check_corpus(args.path)
    for warning in result.warnings[:20]:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    if result.articles and not result.errors:
        print(composition(result.articles))
    print(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)", file=sys.stderr)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
