from __future__ import annotations

from pathlib import Path

from models.pipeline import Annotator, DocumentInput


def test_annotate_matches_the_documented_shape(tiny_model_dir: Path, example_oped: str) -> None:
    result = Annotator.from_path(tiny_model_dir).annotate(example_oped).to_dict()
    assert set(result) == {"target", "model", "text", "sentences", "summary", "timings_ms"}
    assert result["target"] == "cyber sovereignty"
    assert result["model"] == {"name": "argstance-tiny", "version": "tiny-1"}
    assert len(result["sentences"]) == 47
    for i, s in enumerate(result["sentences"]):
        assert s["index"] == i
        assert result["text"][s["start"] : s["end"]] == s["text"]
        assert set(s["role"]["scores"]) == {"claim", "evidence", "rebuttal", "none"}
        assert set(s["stance"]["scores"]) == {"favor", "against", "neutral"}
        assert abs(sum(s["role"]["scores"].values()) - 1) < 1e-3
        assert s["role"]["scores"][s["role"]["label"]] == max(s["role"]["scores"].values())
    summary = result["summary"]
    assert sum(summary["roles"].values()) == sum(summary["stances"].values()) == 47
    assert summary["article_stance"]["label"] in {"favor", "against", "neutral"}
    assert set(result["timings_ms"]) == {"segment", "model", "total"}


def test_batch_equals_single_annotation(tiny_model_dir: Path, example_oped: str) -> None:
    annotator = Annotator.from_path(tiny_model_dir)
    single = annotator.annotate(example_oped, target="data localisation")
    batch = annotator.annotate_many(
        [
            DocumentInput("A short note. It says little.", "net neutrality"),
            DocumentInput(example_oped, "data localisation"),
        ]
    )
    assert [s.role.label for s in batch[1].sentences] == [s.role.label for s in single.sentences]
    assert batch[1].target == "data localisation"


def test_html_input_returns_the_extracted_text(tiny_model_dir: Path) -> None:
    html = "<html><body><article><p>Firewalls split the web. Users lose.</p></article></body></html>"
    result = Annotator.from_path(tiny_model_dir).annotate(html)
    assert "<p>" not in result.text
    assert all(result.text[s.start : s.end] == s.text for s in result.sentences)
