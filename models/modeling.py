"""The multi-task model: a shared sentence encoder, an optional document context layer,
and two heads (role, stance). The target is an input: each sentence is encoded as the
pair ``(target, sentence)`` so any target can be asked for at request time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

import torch
from torch import nn

from models.labels import ROLES, STANCES

CONTEXT_MODES = ("none", "gru")


@dataclass(frozen=True)
class ModelConfig:
    """Everything besides weights that defines the model's behaviour."""

    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    max_length: int = 128
    # "gru": a bidirectional GRU over the article's sentence vectors gives every sentence
    # its neighbours' content; "none": each sentence is judged alone.
    context: str = "gru"
    # Keep only the encoder's first N transformer layers (None: all of them). Fewer layers
    # cost proportionally fewer FLOPs per sentence at inference and in training.
    encoder_layers: int | None = None
    # An article-level stance head over attention-pooled sentence features, trained on the
    # articles' overall stance; its pooled vector is also given to every sentence's heads,
    # because most sentence stance errors are whole articles read in the wrong direction.
    article_head: bool = False
    dropout: float = 0.1
    roles: tuple[str, ...] = ROLES
    stances: tuple[str, ...] = STANCES

    def __post_init__(self) -> None:
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"context must be one of {CONTEXT_MODES}, got {self.context!r}")
        if self.encoder_layers is not None and self.encoder_layers < 1:
            raise ValueError(f"encoder_layers must be at least 1, got {self.encoder_layers}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        fields = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        return cls(**fields)


class Logits(NamedTuple):
    """Per-sentence role and stance logits, and per-article stance logits (None without the head)."""

    role: torch.Tensor  # (sentences, roles)
    stance: torch.Tensor  # (sentences, stances)
    article: torch.Tensor | None  # (articles, stances)


class ArgStanceModel(nn.Module):
    """Encoder + context + heads. ``embed`` runs per sentence batch; ``classify`` per article batch.

    The encoder is transformers' ``BertModel`` in training and models.encoder's ``BertEncoder``
    in inference: the same weights and call signature."""

    def __init__(self, encoder: nn.Module, config: ModelConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = encoder.config.hidden_size
        self.context = (
            nn.GRU(hidden, hidden // 2, batch_first=True, bidirectional=True)
            if config.context == "gru"
            else None
        )
        features = hidden * 2 if self.context is not None else hidden
        self.dropout = nn.Dropout(config.dropout)
        self.article_attention = nn.Linear(features, 1) if config.article_head else None
        self.article_head = nn.Linear(features, len(config.stances)) if config.article_head else None
        sentence_features = features * 2 if config.article_head else features
        self.role_head = nn.Linear(sentence_features, len(config.roles))
        self.stance_head = nn.Linear(sentence_features, len(config.stances))

    def embed(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """Mean-pooled encoder states, the pooling MiniLM was trained with."""
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state.float()  # (sentences, tokens, hidden); pooled in fp32 on every path
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (sentences, hidden)

    def classify(self, vectors: torch.Tensor, doc_lengths: list[int]) -> Logits:
        """Role and stance logits for sentence vectors laid out article after article."""
        if self.context is not None:
            vectors = torch.cat([vectors, self._contextualise(vectors, doc_lengths)], dim=-1)
        vectors = self.dropout(vectors)
        if self.article_head is None:
            return Logits(self.role_head(vectors), self.stance_head(vectors), None)
        articles = self._pool_articles(vectors, doc_lengths)  # (articles, features)
        lengths = torch.tensor(doc_lengths, device=articles.device)
        per_sentence = torch.repeat_interleave(articles, lengths, dim=0)
        vectors = torch.cat([vectors, per_sentence], dim=-1)
        return Logits(self.role_head(vectors), self.stance_head(vectors), self.article_head(articles))

    def _pool_articles(self, vectors: torch.Tensor, doc_lengths: list[int]) -> torch.Tensor:
        pooled = []
        for doc in torch.split(vectors, doc_lengths):
            weights = torch.softmax(self.article_attention(doc), dim=0)  # (sentences, 1)
            pooled.append((weights * doc).sum(0))
        return torch.stack(pooled)

    def _contextualise(self, vectors: torch.Tensor, doc_lengths: list[int]) -> torch.Tensor:
        docs = torch.split(vectors, doc_lengths)
        padded = nn.utils.rnn.pad_sequence(docs, batch_first=True)  # (docs, max_sentences, hidden)
        packed = nn.utils.rnn.pack_padded_sequence(
            padded, torch.tensor(doc_lengths), batch_first=True, enforce_sorted=False
        )
        out, _ = self.context(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)  # (docs, max_sentences, hidden)
        return torch.cat([out[i, :n] for i, n in enumerate(doc_lengths)])

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        doc_lengths: list[int],
    ) -> Logits:
        return self.classify(self.embed(input_ids, attention_mask, token_type_ids), doc_lengths)


def keep_layers(model: ArgStanceModel, layers: int) -> ArgStanceModel:
    """The model cut to its encoder's first ``layers`` transformer layers, heads kept: a trained
    model's lower layers are a better start for a smaller student than the untuned base's."""
    current = model.encoder.config.num_hidden_layers
    if not 1 <= layers <= current:
        raise ValueError(f"can keep 1 to {current} encoder layers, got {layers}")
    model.encoder.encoder.layer = model.encoder.encoder.layer[:layers]
    model.encoder.config.num_hidden_layers = layers
    model.config = replace(model.config, encoder_layers=layers)
    return model
