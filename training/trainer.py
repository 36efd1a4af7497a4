"""The fine-tuning loop: masked multi-task loss, class weights, early stopping on dev macro-F1."""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from eval.metrics import task_metrics
from models.modeling import ArgStanceModel, Logits
from models.settings import Settings
from training.dataset import IGNORE, EncodedArticle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of one training run (recorded in the model's training.json)."""

    epochs: int = Settings.model_fields["epochs"].default
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    batch_sentences: int = 64
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    patience: int = 2
    seed: int = 13
    class_weights: bool = True
    article_loss_weight: float = 0.5  # only for models with an article head
    # With teachers (training.distill): the loss is (1 - distill_weight) * gold cross-entropy
    # + distill_weight * temperature^2 * KL(teachers || student), both at this temperature.
    distill_weight: float = 0.5
    temperature: float = 2.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_sentences < 1 or self.learning_rate <= 0 or self.temperature <= 0:
            raise ValueError(
                f"epochs, batch_sentences, learning_rate and temperature must be positive, got {self}"
            )
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"distill_weight must be within [0, 1], got {self.distill_weight}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    best_epoch: int
    best_score: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(docs: list[EncodedArticle], budget: int, rng: random.Random | None) -> list[list[EncodedArticle]]:
    """Group whole articles into batches of about ``budget`` sentences (shuffled when rng is given)."""
    order = list(docs)
    if rng is not None:
        rng.shuffle(order)
    out, current, size = [], [], 0
    for doc in order:
        if current and size + len(doc) > budget:
            out.append(current)
            current, size = [], 0
        current.append(doc)
        size += len(doc)
    return out + [current] if current else out


# Sentences per encoder call in training (16 beat 32 and one call per batch: 19 s vs 20.5 s vs
# 34 s for six batches, 1 thread). A batch holds whole articles (64 sentences or so);
# padding each length-sorted chunk only to its own longest sentence saves the work that padding
# every sentence to the batch's longest one would waste.
ENCODER_CHUNK = 16


def collate(docs: list[EncodedArticle], chunk: int = ENCODER_CHUNK) -> dict:
    """Labels and weights flattened article after article; the sentences themselves padded in
    length-sorted chunks, each with the positions its rows take in that flat order."""
    ids = [row for d in docs for row in d.input_ids]
    types = [row for d in docs for row in d.token_type_ids]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    chunks = []
    for start in range(0, len(order), chunk):
        index = order[start : start + chunk]
        width = max(len(ids[i]) for i in index)
        input_ids = torch.zeros(len(index), width, dtype=torch.long)
        token_types = torch.zeros_like(input_ids)
        mask = torch.zeros_like(input_ids)
        for row, i in enumerate(index):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
            token_types[row, : len(types[i])] = torch.tensor(types[i])
            mask[row, : len(ids[i])] = 1
        chunks.append(
            {
                "index": torch.tensor(index),
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": token_types,
            }
        )
    batch = {
        "chunks": chunks,
        "doc_lengths": [len(d) for d in docs],
        "role": torch.tensor([r for d in docs for r in d.role_ids]),
        "stance": torch.tensor([s for d in docs for s in d.stance_ids]),
        "weight": torch.tensor([d.weight for d in docs for _ in range(len(d))]),
        "article_stance": torch.tensor([d.article_stance_id for d in docs]),
        "article_weight": torch.tensor([d.weight for d in docs]),
    }
    if all(d.soft_role is not None for d in docs):
        batch["soft_role"] = torch.tensor([p for d in docs for p in d.soft_role])
        batch["soft_stance"] = torch.tensor([p for d in docs for p in d.soft_stance])
        if all(d.soft_article is not None for d in docs):
            batch["soft_article"] = torch.tensor([d.soft_article for d in docs])
    return batch


def forward(model: ArgStanceModel, batch: dict) -> Logits:
    """The model on a collated batch: encoder chunk by chunk, then context and heads per article."""
    parts = [model.embed(c["input_ids"], c["attention_mask"], c["token_type_ids"]) for c in batch["chunks"]]
    positions = torch.cat([c["index"] for c in batch["chunks"]])
    vectors = torch.cat(parts)[torch.argsort(positions)]  # back to article order
    return model.classify(vectors, batch["doc_lengths"])


def class_weights(docs: list[EncodedArticle], attr: str, n_labels: int) -> torch.Tensor:
    """Inverse square-root frequency, mean 1: rare classes (rebuttal) count more without exploding."""
    counts = Counter(x for d in docs for x in getattr(d, attr) if x != IGNORE)
    freq = torch.tensor([max(counts.get(i, 0), 1) for i in range(n_labels)], dtype=torch.float)
    weights = freq.rsqrt()
    return weights * n_labels / weights.sum()


def masked_loss(
    logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor, cls_w: torch.Tensor | None
) -> torch.Tensor:
    """Cross-entropy over annotated sentences only, scaled by each sentence's source weight."""
    valid = labels != IGNORE
    if not valid.any():
        return logits.sum() * 0.0
    losses = nn.functional.cross_entropy(logits[valid], labels[valid], weight=cls_w, reduction="none")
    return (losses * weight[valid]).sum() / weight[valid].sum()


def soft_loss(
    logits: torch.Tensor, teacher: torch.Tensor, weight: torch.Tensor, temperature: float
) -> torch.Tensor:
    """KL(teacher || student) at the distillation temperature, scaled by temperature^2 so its
    gradients keep the size of the gold loss's; every sentence counts, annotated or not."""
    log_student = nn.functional.log_softmax(logits / temperature, dim=-1)
    kl = (teacher * (teacher.clamp_min(1e-8).log() - log_student)).sum(-1)
    return (kl * weight).sum() / weight.sum() * temperature**2


def batch_loss(
    logits: Logits,
    batch: dict,
    settings: TrainSettings,
    cls_role: torch.Tensor | None,
    cls_stance: torch.Tensor | None,
) -> torch.Tensor:
    """Gold loss of both tasks (and the article head), each blended with the teachers' when present."""
    alpha = settings.distill_weight

    def blended(
        gold: torch.Tensor, task_logits: torch.Tensor, soft_key: str, weight: torch.Tensor
    ) -> torch.Tensor:
        if soft_key not in batch:
            return gold
        return (1 - alpha) * gold + alpha * soft_loss(
            task_logits, batch[soft_key], weight, settings.temperature
        )

    weight = batch["weight"]
    loss = blended(
        masked_loss(logits.role, batch["role"], weight, cls_role), logits.role, "soft_role", weight
    )
    loss = loss + blended(
        masked_loss(logits.stance, batch["stance"], weight, cls_stance), logits.stance, "soft_stance", weight
    )
    if logits.article is not None:
        article_weight = batch["article_weight"]
        gold = masked_loss(logits.article, batch["article_stance"], article_weight, None)
        loss = loss + settings.article_loss_weight * blended(
            gold, logits.article, "soft_article", article_weight
        )
    return loss


def evaluate_encoded(model: ArgStanceModel, docs: list[EncodedArticle], budget: int = 128) -> dict:
    """Units-mode macro-F1 per task on encoded gold articles."""
    model.eval()
    gold: dict[str, list[int]] = {"role": [], "stance": []}
    pred: dict[str, list[int]] = {"role": [], "stance": []}
    with torch.inference_mode():
        for batch_docs in batches(docs, budget, None):
            batch = collate(batch_docs)
            logits = forward(model, batch)
            for task, task_logits in (("role", logits.role), ("stance", logits.stance)):
                keep = batch[task] != IGNORE
                gold[task] += batch[task][keep].tolist()
                pred[task] += task_logits.argmax(-1)[keep].tolist()
    labels = {"role": model.config.roles, "stance": model.config.stances}
    result = {
        task: task_metrics(
            [labels[task][i] for i in gold[task]], [labels[task][i] for i in pred[task]], labels[task]
        )
        for task in ("role", "stance")
    }
    result["score"] = float(np.mean([result[t].get("macro_f1", 0.0) for t in ("role", "stance")]))
    return result


def train(
    model: ArgStanceModel,
    train_docs: list[EncodedArticle],
    dev_docs: list[EncodedArticle],
    settings: TrainSettings,
    on_progress: Callable[[dict], None] | None = None,
    show_progress: bool = True,
) -> TrainResult:
    """Fine-tune in place; at the end the model holds the weights of the best dev epoch."""
    set_seed(settings.seed)
    rng = random.Random(settings.seed)
    started = time.perf_counter()
    cls_role = (
        class_weights(train_docs, "role_ids", len(model.config.roles)) if settings.class_weights else None
    )
    cls_stance = (
        class_weights(train_docs, "stance_ids", len(model.config.stances)) if settings.class_weights else None
    )
    optimizer = _optimizer(model, settings)
    steps = settings.epochs * len(batches(train_docs, settings.batch_sentences, None))
    scheduler = _scheduler(optimizer, steps, settings.warmup_ratio)
    result = TrainResult(best_epoch=0, best_score=-1.0)
    best_state, stale = None, 0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        epoch_batches = batches(train_docs, settings.batch_sentences, rng)
        bar = tqdm(
            epoch_batches, desc=f"epoch {epoch}/{settings.epochs}", unit="batch", disable=not show_progress
        )
        total = 0.0
        for step, batch_docs in enumerate(bar, 1):
            batch = collate(batch_docs)
            logits = forward(model, batch)
            loss = batch_loss(logits, batch, settings, cls_role, cls_stance)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            bar.set_postfix(loss=f"{total / step:.3f}")
            if on_progress:
                on_progress({"epoch": epoch, "step": step, "steps": len(epoch_batches), "loss": total / step})
        dev = evaluate_encoded(model, dev_docs) if dev_docs else {"score": -total}
        entry = {
            "epoch": epoch,
            "train_loss": total / max(len(epoch_batches), 1),
            "dev_score": dev["score"],
            "dev_role_macro_f1": dev.get("role", {}).get("macro_f1"),
            "dev_stance_macro_f1": dev.get("stance", {}).get("macro_f1"),
            "seconds": round(time.perf_counter() - started, 1),
        }
        result.history.append(entry)
        log.info("epoch %d: %s", epoch, entry)
        if dev["score"] > result.best_score:
            result.best_epoch, result.best_score, stale = epoch, dev["score"], 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= settings.patience:
                log.info("early stop: no dev improvement for %d epochs", stale)
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _optimizer(model: ArgStanceModel, settings: TrainSettings) -> torch.optim.Optimizer:
    # The freshly initialised heads and context layer learn faster than the pretrained encoder.
    encoder = [p for p in model.encoder.parameters() if p.requires_grad]
    encoder_ids = {id(p) for p in encoder}
    rest = [p for p in model.parameters() if id(p) not in encoder_ids]
    return torch.optim.AdamW(
        [
            {"params": encoder, "lr": settings.learning_rate},
            {"params": rest, "lr": settings.head_learning_rate},
        ],
        weight_decay=settings.weight_decay,
    )


def _scheduler(
    optimizer: torch.optim.Optimizer, steps: int, warmup_ratio: float
) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, int(steps * warmup_ratio))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
