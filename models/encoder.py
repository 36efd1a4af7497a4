"""The inference-time sentence encoder: BERT's forward pass on plain torch modules.

Training uses transformers' ``BertModel``; serving runs the same weights through this module
instead, because importing transformers' model classes costs about 2 s of the service's start-up
on a 2-core machine (they pull in torch's compiler and distributed packages) and the pass itself
is a few standard torch calls. Module names follow ``BertModel``'s, so a checkpoint trained with
transformers loads unchanged; tests check that both give the same sentence vectors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class EncoderConfig:
    """The architecture fields of a BERT ``config.json`` that the forward pass needs."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_file(cls, path: Path) -> EncoderConfig:
        """Read ``config.json``; architectures this module does not implement are an error."""
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error

    @classmethod
    def from_dict(cls, data: dict) -> EncoderConfig:
        """From a BERT config's fields; architectures this module does not implement are an error."""
        unsupported = {
            key: data.get(key, default)
            for key, default, wanted in (
                ("model_type", None, "bert"),
                ("hidden_act", "gelu", "gelu"),
                ("position_embedding_type", "absolute", "absolute"),
            )
            if data.get(key, default) != wanted
        }
        if unsupported:
            raise ValueError(f"encoder not supported for inference ({unsupported})")
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


class EncoderOutput(NamedTuple):
    """Named like transformers' output so the model reads either encoder the same way."""

    last_hidden_state: torch.Tensor  # (sentences, tokens, hidden)


class Layout:
    """Where a padded batch's real tokens sit, to move states between the padded and the packed form.

    The linear layers, which do nearly all the work, run on the packed real tokens only, as one
    matrix per batch however unequal the sentence lengths; only attention needs the padded form.
    """

    def __init__(self, attention_mask: torch.Tensor, row_bucket: int = 1) -> None:
        real = attention_mask.bool()
        self.shape = tuple(real.shape)  # (sentences, tokens)
        self.index = real.flatten().nonzero().squeeze(1)
        self.rows = -(-len(self.index) // row_bucket) * row_bucket
        self.attend = real[:, None, None, :]  # every query may look at every real token

    def pack(self, padded: torch.Tensor) -> torch.Tensor:
        """(sentences, tokens, hidden) -> (rows, hidden): the real tokens, then zero rows up to a
        multiple of the row bucket; the layers fill those rows with values nothing reads."""
        packed = padded.new_zeros(self.rows, padded.shape[-1])
        packed[: len(self.index)] = padded.reshape(-1, padded.shape[-1])[self.index]
        return packed

    def pad(self, packed: torch.Tensor) -> torch.Tensor:
        """(rows, hidden) -> (sentences, tokens, hidden), zeros at padding."""
        padded = packed.new_zeros(self.shape[0] * self.shape[1], packed.shape[-1])
        padded[self.index] = packed[: len(self.index)]
        return padded.view(*self.shape, -1)


class BertLayer(nn.Module):
    """Post-norm self-attention and feed-forward block; the ModuleDicts only reproduce
    ``BertModel``'s parameter names."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        hidden, eps = config.hidden_size, config.layer_norm_eps
        self.heads = config.num_attention_heads
        self.attention = nn.ModuleDict(
            {
                "self": nn.ModuleDict(
                    {name: nn.Linear(hidden, hidden) for name in ("query", "key", "value")}
                ),
                "output": nn.ModuleDict(
                    {"dense": nn.Linear(hidden, hidden), "LayerNorm": nn.LayerNorm(hidden, eps)}
                ),
            }
        )
        self.intermediate = nn.ModuleDict({"dense": nn.Linear(hidden, config.intermediate_size)})
        self.output = nn.ModuleDict(
            {"dense": nn.Linear(config.intermediate_size, hidden), "LayerNorm": nn.LayerNorm(hidden, eps)}
        )

    def forward(self, states: torch.Tensor, layout: Layout) -> torch.Tensor:
        """``states`` holds only real tokens, (tokens, hidden); see ``Layout``."""
        projections = self.attention["self"]

        def heads(name: str) -> torch.Tensor:
            padded = layout.pad(projections[name](states))
            return padded.view(*padded.shape[:2], self.heads, -1).transpose(1, 2)

        context = functional.scaled_dot_product_attention(
            heads("query"), heads("key"), heads("value"), attn_mask=layout.attend
        )
        context = layout.pack(context.transpose(1, 2).flatten(2))
        out = self.attention["output"]
        states = out["LayerNorm"](states + out["dense"](context))
        feed = functional.gelu(self.intermediate["dense"](states))
        return self.output["LayerNorm"](states + self.output["dense"](feed))


class BertEncoder(nn.Module):
    """Embeddings and transformer layers; ``forward`` takes the arguments ``BertModel`` takes."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        # Pad the packed token matrix to a multiple of this many rows, so that batches of different
        # lengths share matrix shapes. The bf16 path sets it (models.precision): oneDNN compiles its
        # bf16 kernels per shape, and a first pass over the test split's unseen shapes ran at 525
        # sentences/s against 705-737 once they were cached. Elsewhere the extra rows would only
        # cost time, and in int8 they would widen a batch's activation range.
        self.row_bucket = 1
        hidden = config.hidden_size
        self.embeddings = nn.ModuleDict(
            {
                "word_embeddings": nn.Embedding(config.vocab_size, hidden),
                "position_embeddings": nn.Embedding(config.max_position_embeddings, hidden),
                "token_type_embeddings": nn.Embedding(config.type_vocab_size, hidden),
                "LayerNorm": nn.LayerNorm(hidden, config.layer_norm_eps),
            }
        )
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> EncoderOutput:
        embed = self.embeddings
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        states = embed["LayerNorm"](
            embed["word_embeddings"](input_ids)
            + embed["position_embeddings"](positions)
            + embed["token_type_embeddings"](token_type_ids)
        )
        layout = Layout(attention_mask, self.row_bucket)
        states = layout.pack(states)
        for layer in self.encoder.layer:
            states = layer(states, layout)
        return EncoderOutput(layout.pad(states))
