"""Gold articles -> tokenised training examples, through Hugging Face ``datasets``."""

from __future__ import annotations

from dataclasses import dataclass

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from eval.gold import GoldArticle
from models.labels import ROLES, STANCES

IGNORE = -100  # label id that the loss masks ("not annotated")


@dataclass(frozen=True)
class EncodedArticle:
    """One article (or a window of a long one), tokenised, with label ids and a loss weight."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    role_ids: list[int]
    stance_ids: list[int]
    weight: float = 1.0
    article_stance_id: int = IGNORE  # the article's overall stance; "mixed" or unlabelled: masked
    # Teachers' probabilities for distillation (training.distill); None when training on gold only.
    soft_role: list[list[float]] | None = None
    soft_stance: list[list[float]] | None = None
    soft_article: list[float] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def to_rows(articles: list[GoldArticle]) -> list[dict]:
    """One row per sentence, keeping the article it came from."""
    return [
        {
            "doc": d,
            "target": article.target,
            "text": s.text,
            "role": ROLES.index(s.role) if s.role else IGNORE,
            "stance": STANCES.index(s.stance) if s.stance else IGNORE,
        }
        for d, article in enumerate(articles)
        for s in article.sentences
    ]


def encode_articles(
    articles: list[GoldArticle],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    weight: float = 1.0,
    window: int = 64,
) -> list[EncodedArticle]:
    """Tokenise every sentence as the pair (target, sentence); long articles become windows."""
    if not articles:
        return []
    dataset = Dataset.from_list(to_rows(articles)).map(
        lambda batch: tokenizer(batch["target"], batch["text"], truncation=True, max_length=max_length),
        batched=True,
        desc="tokenising",
    )
    overall = [
        STANCES.index(a.meta["article_stance"]) if a.meta.get("article_stance") in STANCES else IGNORE
        for a in articles
    ]
    encoded, rows = [], dataset.to_dict()
    boundaries = [0]
    for i in range(1, len(rows["doc"]) + 1):
        if i == len(rows["doc"]) or rows["doc"][i] != rows["doc"][i - 1]:
            boundaries.append(i)
    for a, b in zip(boundaries, boundaries[1:], strict=False):
        for start in range(a, b, window):
            end = min(start + window, b)
            encoded.append(
                EncodedArticle(
                    rows["input_ids"][start:end],
                    rows["token_type_ids"][start:end],
                    rows["role"][start:end],
                    rows["stance"][start:end],
                    weight,
                    overall[rows["doc"][a]],
                )
            )
    return encoded
