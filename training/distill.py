"""Knowledge distillation: trained teachers' label distributions for the training articles.

A smaller student (fewer encoder layers) trained on the teachers' full distributions, not only
on the gold argmax, learns which sentences are borderline; averaging several teachers (runs of
the same recipe) gives softer targets than any one of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from tqdm import tqdm

from models.artifact import LoadedModel
from training.dataset import EncodedArticle
from training.trainer import batches, collate, forward

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerBase


def check_compatible(
    teachers: list[LoadedModel], tokenizer: PreTrainedTokenizerBase | Tokenizer, max_length: int
) -> None:
    """Teachers read the student's encoded sentences, so they must tokenise them the same way."""
    vocab = tokenizer.get_vocab()
    for teacher in teachers:
        if teacher.tokenizer.get_vocab() != vocab or teacher.model.config.max_length != max_length:
            raise ValueError(
                f"teacher {teacher.version} uses another tokenizer or max_length than the student; "
                "distillation needs teachers built on the same base encoder"
            )


def with_soft_targets(
    docs: list[EncodedArticle],
    teachers: list[LoadedModel],
    temperature: float,
    budget: int = 128,
    show_progress: bool = True,
) -> list[EncodedArticle]:
    """The articles with the teachers' mean softened probabilities attached (role, stance and,
    when every teacher has an article head, the article's stance)."""
    per_teacher = [_probabilities(t, docs, temperature, budget, show_progress) for t in teachers]
    soft = []
    for doc, outputs in zip(docs, zip(*per_teacher, strict=True), strict=True):
        role = torch.stack([o[0] for o in outputs]).mean(0)
        stance = torch.stack([o[1] for o in outputs]).mean(0)
        articles = [o[2] for o in outputs]
        article = None if any(a is None for a in articles) else torch.stack(articles).mean(0)
        soft.append(
            replace(
                doc,
                soft_role=role.tolist(),
                soft_stance=stance.tolist(),
                soft_article=None if article is None else article.tolist(),
            )
        )
    return soft


def _probabilities(
    teacher: LoadedModel, docs: list[EncodedArticle], temperature: float, budget: int, show_progress: bool
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]:
    """One teacher's softened (role, stance, article) probabilities per article, in input order."""
    teacher.model.eval()
    out = []
    groups = batches(docs, budget, None)
    for group in tqdm(groups, desc=f"teacher {teacher.version}", unit="batch", disable=not show_progress):
        with torch.inference_mode():
            logits = forward(teacher.model, collate(group))
        lengths = [len(d) for d in group]
        roles = torch.split(torch.softmax(logits.role / temperature, -1), lengths)
        stances = torch.split(torch.softmax(logits.stance / temperature, -1), lengths)
        for j in range(len(group)):
            article = None if logits.article is None else torch.softmax(logits.article[j] / temperature, -1)
            out.append((roles[j], stances[j], article))
    return out
