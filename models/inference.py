"""Batched forward passes: length-sorted sentence batches for the encoder, one context pass per article."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.artifact import LoadedModel
from models.settings import Settings

DEFAULT_BATCH_SIZE: int = Settings.model_fields["batch_size"].default


def apply_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for torch (ARGSTANCE_THREADS); 0 keeps torch's default of one per core."""
    if threads:
        torch.set_num_threads(threads)


@dataclass(frozen=True)
class Probabilities:
    """Per-sentence label probabilities of one article, in the model's label order."""

    role: np.ndarray  # (sentences, roles)
    stance: np.ndarray  # (sentences, stances)


def predict(
    loaded: LoadedModel, docs: list[list[str]], targets: list[str], batch_size: int = DEFAULT_BATCH_SIZE
) -> list[Probabilities]:
    """Role and stance probabilities for every sentence of every article."""
    lengths = [len(doc) for doc in docs]
    pairs = [(target, sentence) for doc, target in zip(docs, targets, strict=True) for sentence in doc]
    model = loaded.model
    if not pairs:
        empty = Probabilities(
            np.zeros((0, len(model.config.roles))), np.zeros((0, len(model.config.stances)))
        )
        return [empty for _ in docs]
    with torch.inference_mode():
        vectors = encode_pairs(loaded, pairs, batch_size)
        logits = model.classify(vectors, lengths)
        role = torch.softmax(logits.role, dim=-1).numpy()
        stance = torch.softmax(logits.stance, dim=-1).numpy()
    bounds = np.cumsum([0, *lengths])
    return [Probabilities(role[a:b], stance[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def encode_pairs(loaded: LoadedModel, pairs: list[tuple[str, str]], batch_size: int) -> torch.Tensor:
    """Sentence vectors, computed in batches of similar length so little padding is wasted."""
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][1]))
    hidden = loaded.model.encoder.config.hidden_size
    vectors = torch.empty(len(pairs), hidden)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        vectors[index] = loaded.model.embed(*tokenize_pairs(loaded, [pairs[i] for i in index]))
    return vectors


def tokenize_pairs(loaded: LoadedModel, pairs: list[tuple[str, str]]) -> tuple[torch.Tensor, ...]:
    """Input ids, attention mask and token type ids of (target, sentence) pairs, padded together."""
    encodings = loaded.tokenizer.encode_batch(pairs)
    return tuple(
        torch.tensor([getattr(e, f) for e in encodings]) for f in ("ids", "attention_mask", "type_ids")
    )
