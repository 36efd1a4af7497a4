from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.text import BULLET_RE, LINE_RE, TextError, decode, prepare, segment

SAMPLES = Path(__file__).resolve().parents[2] / "eval" / "samples"


def texts(source: str) -> list[str]:
    return [s.text for s in segment(source)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "The U.S. government objected. Then it relented.",
            ["The U.S. government objected.", "Then it relented."],
        ),
        ("Dr. Osei disagreed. She left.", ["Dr. Osei disagreed.", "She left."]),
        (
            "Some states, e.g. Brazil, agreed. Others did not.",
            ["Some states, e.g. Brazil, agreed.", "Others did not."],
        ),
        ("See No. 3 on the list. It is long.", ["See No. 3 on the list.", "It is long."]),
        ("On Jan. 5 the law passed. It was late.", ["On Jan. 5 the law passed.", "It was late."]),
        ("At 9 a.m. the vote began. It ended at noon.", ["At 9 a.m. the vote began.", "It ended at noon."]),
        ("Growth was 3.5 percent. It fell.", ["Growth was 3.5 percent.", "It fell."]),
        ("Spending hit $3.8 trillion. It grew.", ["Spending hit $3.8 trillion.", "It grew."]),
        ("Anna K. Lindqvist wrote it. We read it.", ["Anna K. Lindqvist wrote it.", "We read it."]),
        (
            'He said, "We will not yield." The room went quiet.',
            ['He said, "We will not yield."', "The room went quiet."],
        ),
        ("He said, \u201cNever.\u201d Then he sat.", ["He said, \u201cNever.\u201d", "Then he sat."]),
        (
            "Is this censorship? Many think so! Others disagree.",
            ["Is this censorship?", "Many think so!", "Others disagree."],
        ),
        ("Well... it is complicated. We should wait.", ["Well... it is complicated.", "We should wait."]),
        (
            "It is a trade-off \u2014 a hard one. We accept it.",
            ["It is a trade-off \u2014 a hard one.", "We accept it."],
        ),
    ],
)
def test_hard_cases(source: str, expected: list[str]) -> None:
    assert texts(source) == expected


def test_windows_line_endings_keep_offsets() -> None:
    source = "Headline without a stop\r\nFirst sentence. Second one.\r\n"
    units = segment(source)
    assert [u.text for u in units] == ["Headline without a stop", "First sentence.", "Second one."]
    assert all(source[u.start : u.end] == u.text for u in units)


def test_non_breaking_spaces_stay_inside_units() -> None:
    source = "Data\u00a0stays\u00a0home. Courts decide."
    assert texts(source) == ["Data\u00a0stays\u00a0home.", "Courts decide."]


def test_line_without_final_punctuation_is_its_own_unit() -> None:
    assert texts("By A. Writer\nShare | Print\nThe law passed on Monday.") == [
        "By A. Writer",
        "Share | Print",
        "The law passed on Monday.",
    ]


def test_bullets_are_not_part_of_units() -> None:
    source = "At stake:\n\u2022 Data stays home.\n- Courts decide\n* Firms comply"
    assert texts(source) == ["At stake:", "Data stays home.", "Courts decide", "Firms comply"]


def test_enormous_unpunctuated_line_is_chunked_and_flagged() -> None:
    source = " ".join(["word"] * 5000)  # 24,999 characters, no punctuation
    units = segment(source, max_unit_chars=1500)
    assert len(units) > 1
    assert all(u.chunked and len(u.text) <= 1500 for u in units)
    assert "".join(u.text.replace(" ", "") for u in units) == source.replace(" ", "")


@pytest.mark.parametrize("source", ["", "   \n\t  "])
def test_empty_input_is_a_clear_error(source: str) -> None:
    with pytest.raises(TextError, match="empty"):
        segment(source)
    with pytest.raises(TextError, match="empty"):
        prepare(source)


def test_invalid_utf8_names_file_and_byte() -> None:
    with pytest.raises(TextError, match=r"op-ed\.txt: not valid UTF-8 at byte 6"):
        decode(b"Hello \xff world", "op-ed.txt")


def test_html_is_detected_and_extracted() -> None:
    html = (
        "<html><body><article><h1>Walls on the wire</h1>"
        "<p>National firewalls fragment the network. They also raise costs for small firms.</p>"
        "</article></body></html>"
    )
    prepared = prepare(html)
    assert prepared.from_html
    assert "<p>" not in prepared.text
    assert "They also raise costs for small firms." in texts(prepared.text)


def test_example_oped_segments_as_its_gold_units() -> None:
    gold = json.loads((SAMPLES / "example-oped.gold.jsonl").read_text(encoding="utf-8"))
    raw = (SAMPLES / "example-oped.txt").read_text(encoding="utf-8")
    assert gold["text"] == raw
    units = segment(raw)
    assert [(u.start, u.end) for u in units] == [(s["start"], s["end"]) for s in gold["sentences"]]


def covered(source: str) -> set[int]:
    return {i for u in segment(source) for i in range(u.start, u.end)}


def line_start_bullets(source: str) -> list[int]:
    positions = []
    for line in LINE_RE.finditer(source):
        start = line.start() + len(line.group()) - len(line.group().lstrip())
        bullet = BULLET_RE.match(source, start, line.end())
        if bullet:
            positions.extend(range(bullet.start(), bullet.end()))
    return positions


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=400))
def test_units_are_ordered_disjoint_exact_and_cover_the_text(source: str) -> None:
    if not source.strip():
        return
    units = segment(source)
    assert all(source[u.start : u.end] == u.text for u in units)
    assert all(a.end <= b.start for a, b in zip(units, units[1:], strict=False))
    assert [u.index for u in units] == list(range(len(units)))
    inside = covered(source)
    bullet_chars = set(line_start_bullets(source))
    missing = [
        i for i, ch in enumerate(source) if not ch.isspace() and i not in inside and i not in bullet_chars
    ]
    assert not missing
