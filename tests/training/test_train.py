from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from eval.gold import DataError
from models import artifact
from models.registry import Registry
from tests.conftest import build_tiny_model
from training.dataset import IGNORE, encode_articles
from training.distill import check_compatible, with_soft_targets
from training.formats import load_articles
from training.train import TrainRequest, only_task, run_training, split_articles
from training.trainer import TrainSettings, collate, forward, masked_loss, soft_loss, train

SENTENCES = [
    ("Every state may run its own networks.", "claim", "favor"),
    ("The 2017 law requires local data storage.", "evidence", "neutral"),
    ("Critics call this censorship.", "rebuttal", "against"),
    ("Share | Print", "none", "neutral"),
]


def corpus(path: Path, splits: tuple[str, ...] = ("train", "train", "dev", "test")) -> Path:
    lines = []
    for i, split in enumerate(splits):
        sentences = [{"text": t, "role": r, "stance": s} for t, r, s in SENTENCES]
        sentences[1]["stance"] = None  # not annotated: masked in training
        lines.append(json.dumps({"id": f"doc-{i}", "split": split, "sentences": sentences}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_training_steps_write_a_loadable_version(tiny_registry: Registry, tmp_path: Path) -> None:
    request = TrainRequest(
        data=[corpus(tmp_path / "c.jsonl")],
        registry=tiny_registry.root,
        start_from="tiny-1",
        version="v-test",
        settings=TrainSettings(epochs=1, batch_sentences=4),
    )
    result = run_training(request, show_progress=False)
    assert result["training"]["history"][0]["epoch"] == 1
    loaded = artifact.load(tiny_registry.path("v-test"))
    assert loaded.version == "v-test"
    files = {p.name for p in tiny_registry.path("v-test").iterdir()}
    assert {"training.json", "metrics.json", "README.md", "model.safetensors"} <= files
    training = json.loads((tiny_registry.path("v-test") / "training.json").read_text())
    assert len(training["data"][0]["sha256"]) == 64
    assert "units" in result["metrics"]["test"]
    assert tiny_registry.active() == "tiny-1"  # not activated unless asked
    inference = loaded.manifest["inference"]
    assert inference["precision"] == (inference["passed"] or ["fp32"])[0]
    assert inference["paths"]["int8"]["macro_f1"]["units/role"]["fp32"] == round(
        result["metrics"]["test"]["units"]["role"]["macro_f1"], 4
    )


def test_only_the_train_split_of_extra_data_is_trained_on(tiny_registry: Registry, tmp_path: Path) -> None:
    extra = corpus(tmp_path / "extra.jsonl", splits=("train", "dev", "test", "test"))
    request = TrainRequest(
        data=[corpus(tmp_path / "c.jsonl")],
        extra_data=[extra],
        registry=tiny_registry.root,
        start_from="tiny-1",
        version="v-extra",
        settings=TrainSettings(epochs=1, batch_sentences=4),
    )
    training = run_training(request, show_progress=False)["training"]
    assert training["articles"]["extra"] == 1
    assert training["extra_data"][0]["path"] == str(extra)


@pytest.mark.parametrize(
    ("task", "kept", "masked"), [("role", "role", "stance"), ("stance", "stance", "role")]
)
def test_extra_data_can_teach_one_task_only(tmp_path: Path, task: str, kept: str, masked: str) -> None:
    (article,) = load_articles(corpus(tmp_path / "extra.jsonl", splits=("train",)))
    only = only_task(article, task)
    assert all(getattr(s, masked) is None for s in only.sentences)
    assert [getattr(s, kept) for s in only.sentences] == [getattr(s, kept) for s in article.sentences]
    assert only_task(article, "both") == article


def test_bad_training_file_fails_before_training(tiny_registry: Registry, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "sentences": [{"text": "Hi.", "role": "thesis"}]}) + "\n")
    request = TrainRequest(data=[bad], registry=tiny_registry.root, start_from="tiny-1", version="never")
    with pytest.raises(
        DataError, match=r"bad\.jsonl:1: sentences\[0\]: field 'role' has unknown value 'thesis'"
    ):
        run_training(request, show_progress=False)
    assert "never" not in tiny_registry.versions()


def test_null_labels_are_masked_out_of_the_loss() -> None:
    logits = torch.randn(3, 4, requires_grad=True)
    labels = torch.tensor([2, IGNORE, 0])
    weight = torch.ones(3)
    expected = torch.nn.functional.cross_entropy(logits[[0, 2]], labels[[0, 2]])
    assert torch.allclose(masked_loss(logits, labels, weight, None), expected)
    masked_loss(logits, torch.full((3,), IGNORE), weight, None).backward()
    assert torch.count_nonzero(logits.grad) == 0


def test_articles_without_split_are_assigned_stably(tmp_path: Path) -> None:
    articles = load_articles(corpus(tmp_path / "c.jsonl", splits=("x",) * 4))
    first, second = split_articles(articles), split_articles(articles)
    assert [a.id for a in first.train] == [a.id for a in second.train]
    assert len(first.train) + len(first.dev) + len(first.test) == 4


def test_article_head_is_trained_on_the_articles_overall_stance(tmp_path: Path) -> None:
    path = corpus(tmp_path / "c.jsonl", splits=("train", "train", "train"))
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record, overall in zip(records, ("favor", "mixed", "against"), strict=True):
        record["article_stance"] = overall
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    model, tokenizer = build_tiny_model(article_head=True)
    docs = encode_articles(load_articles(path), tokenizer, 64)
    assert [d.article_stance_id for d in docs] == [0, IGNORE, 1]  # "mixed" is masked

    logits = forward(model, collate(docs))
    assert logits.article is not None and logits.article.shape == (3, 3)
    before = model.article_head.weight.detach().clone()
    train(model, docs, [], TrainSettings(epochs=1, batch_sentences=16), show_progress=False)
    assert not torch.equal(before, model.article_head.weight)


def test_chunked_encoding_gives_the_logits_of_one_padded_batch(tmp_path: Path) -> None:
    model, tokenizer = build_tiny_model()
    model.eval()
    docs = encode_articles(load_articles(corpus(tmp_path / "c.jsonl")), tokenizer, 64)
    chunked = forward(model, collate(docs, chunk=3))  # 16 sentences of several lengths
    rows = [(ids, types) for d in docs for ids, types in zip(d.input_ids, d.token_type_ids, strict=True)]
    width = max(len(ids) for ids, _ in rows)
    padded = torch.tensor([ids + [0] * (width - len(ids)) for ids, _ in rows])
    types = torch.tensor([t + [0] * (width - len(t)) for _, t in rows])
    mask = (torch.arange(width)[None, :] < torch.tensor([len(ids) for ids, _ in rows])[:, None]).long()
    whole = model(padded, mask, types, [len(d) for d in docs])
    assert torch.allclose(chunked.role, whole.role, atol=1e-5)
    assert torch.allclose(chunked.stance, whole.stance, atol=1e-5)


def test_teachers_mean_softened_probabilities_become_soft_targets(tmp_path: Path) -> None:
    docs_path = corpus(tmp_path / "c.jsonl")
    teachers = []
    for shift in (0.0, 1.0):
        model, tokenizer = build_tiny_model(article_head=True)
        with torch.no_grad():
            model.stance_head.bias += shift  # two teachers that disagree
        teachers.append(
            artifact.LoadedModel.from_trainable(model, tokenizer, {"version": f"t{shift}"}, tmp_path)
        )
    docs = encode_articles(load_articles(docs_path), tokenizer, 64)
    check_compatible(teachers, tokenizer, 64)
    taught = with_soft_targets(docs, teachers, temperature=2.0, show_progress=False)

    expected = []
    for teacher in teachers:
        with torch.inference_mode():
            logits = forward(teacher.model, collate(docs))
        expected.append(torch.softmax(logits.stance / 2.0, -1))
    soft = torch.tensor([p for d in taught for p in d.soft_stance])
    assert torch.allclose(soft, (expected[0] + expected[1]) / 2, atol=1e-6)
    assert torch.allclose(soft.sum(-1), torch.ones(len(soft)))
    assert all(len(d.soft_article) == 3 for d in taught)
    assert [d.role_ids for d in taught] == [d.role_ids for d in docs]  # gold labels kept


def test_teacher_with_another_max_length_is_refused(tmp_path: Path) -> None:
    model, tokenizer = build_tiny_model()
    teacher = artifact.LoadedModel.from_trainable(model, tokenizer, {"version": "t"}, tmp_path)
    with pytest.raises(ValueError, match="teacher t"):
        check_compatible([teacher], tokenizer, 128)  # the tiny model's max_length is 64


def test_soft_loss_vanishes_when_the_student_matches_its_teacher() -> None:
    logits = torch.randn(5, 3, requires_grad=True)
    teacher = torch.softmax(logits.detach() / 2.0, -1)
    weight = torch.ones(5)
    assert soft_loss(logits, teacher, weight, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.softmax(torch.randn(5, 3), -1)
    soft_loss(logits, other, weight, 2.0).backward()
    assert torch.count_nonzero(logits.grad) > 0


def test_a_student_distilled_from_a_cut_down_teacher(tiny_registry: Registry, tmp_path: Path) -> None:
    request = TrainRequest(
        data=[corpus(tmp_path / "c.jsonl")],
        registry=tiny_registry.root,
        start_from="tiny-1",
        encoder_layers=1,
        teachers=["tiny-1"],
        version="student",
        settings=TrainSettings(epochs=1, batch_sentences=4),
    )
    training = run_training(request, show_progress=False)["training"]
    assert training["teachers"] == ["tiny-1"] and training["encoder_layers"] == 1
    student = artifact.load(tiny_registry.path("student"))
    assert len(student.model.encoder.encoder.layer) == 1
    assert student.model.config.encoder_layers == 1
    card = (tiny_registry.path("student") / "README.md").read_text()
    assert "distilled from tiny-1 (weight 0.5, temperature 2.0)" in card
