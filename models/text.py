"""Raw text -> sentence units with character offsets into the text the user sent.

Data flows one way: ``prepare`` (HTML detection and extraction) -> ``segment``.
Offsets always refer to the prepared text: the input itself for plain text, the
extracted text for HTML (which the caller returns to the user).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

# Symbols that open a bulleted list item; they belong to no unit.
BULLET_RE = re.compile(r"[•·▪◦‣∙*\-–—]+\s+")
LINE_RE = re.compile(r"[^\r\n]+")
HTML_RE = re.compile(r"<\s*(html|body|p|div|article|br|h[1-6]|span|!doctype)\b", re.I)
DEFAULT_MAX_UNIT_CHARS = 1500


class TextError(ValueError):
    """Input text that cannot be segmented (empty, not decodable)."""


@dataclass(frozen=True)
class Sentence:
    """One unit of the article: ``text == source[start:end]``."""

    index: int
    start: int
    end: int
    text: str
    # True when an over-long run of text was cut at word boundaries to fit the model.
    chunked: bool = False


@dataclass(frozen=True)
class PreparedText:
    """The text offsets refer to, and whether it was extracted from HTML."""

    text: str
    from_html: bool


def decode(data: bytes, name: str = "<input>") -> str:
    """Decode UTF-8 bytes, naming the file and byte position when they are not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TextError(
            f"{name}: not valid UTF-8 at byte {err.start} (byte 0x{data[err.start]:02x}); "
            "save the file as UTF-8 and try again"
        ) from err


def looks_like_html(text: str) -> bool:
    """True when the text carries HTML markup rather than plain prose."""
    return bool(HTML_RE.search(text[:5000]))


def extract_html(html: str) -> str:
    """Extract the readable text of a web page (trafilatura keeps the main content)."""
    import trafilatura

    extracted = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if extracted and extracted.strip():
        return extracted
    # trafilatura finds no main content in fragments; their visible text is all there is.
    from lxml import html as lxml_html

    return lxml_html.fromstring(html).text_content()


def prepare(raw: str, fmt: str | None = None) -> PreparedText:
    """Pick the text that offsets will refer to. ``fmt`` is "text", "html" or None (detect)."""
    if not raw or not raw.strip():
        raise TextError("the text is empty or only whitespace; send the article's text")
    is_html = looks_like_html(raw) if fmt is None else fmt == "html"
    if not is_html:
        return PreparedText(raw, from_html=False)
    text = extract_html(raw)
    if not text.strip():
        raise TextError("the HTML holds no readable text")
    return PreparedText(text, from_html=True)


def segment(text: str, max_unit_chars: int = DEFAULT_MAX_UNIT_CHARS) -> list[Sentence]:
    """Split text into sentence units; every non-whitespace, non-bullet character lands in one unit."""
    if not text.strip():
        raise TextError("the text is empty or only whitespace; send the article's text")
    spans: list[tuple[int, int, bool]] = []
    for line in LINE_RE.finditer(text):
        spans.extend(_line_spans(text, line.start(), line.end(), max_unit_chars))
    return [Sentence(i, s, e, text[s:e], chunked) for i, (s, e, chunked) in enumerate(spans)]


def bullet_spans(text: str) -> list[tuple[int, int]]:
    """The list-bullet markers the segmenter leaves out of every unit (at most one per line)."""
    spans = []
    for line in LINE_RE.finditer(text):
        start, end = _strip(text, line.start(), line.end())
        bullet_end = _bullet_end(text, start, end)
        if bullet_end is not None:
            spans.append((start, bullet_end))
    return spans


def _bullet_end(text: str, start: int, end: int) -> int | None:
    """Where a stripped line's bullet marker ends; a line that is only a dash is text, not a bullet."""
    bullet = BULLET_RE.match(text, start, end)
    return bullet.end() if bullet and bullet.end() < end else None


def _line_spans(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, bool]]:
    """Units of one line: a bullet is dropped, then the sentence splitter runs inside the line."""
    start, end = _strip(text, start, end)
    if start == end:
        return []
    start = _bullet_end(text, start, end) or start
    spans = []
    for s, e in _sentence_spans(text, start, end):
        spans.extend(_chunk(text, s, e, max_chars))
    return spans


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries from sentencex, as character offsets into the line."""
    line = text[start:end]
    cuts = [b["end_index"] for b in sentencex.get_sentence_boundaries("en", line)]
    # Units run from cut to cut, so no character can fall between two units.
    bounds = [0] + [c for c in cuts if 0 < c < len(line)] + [len(line)]
    spans = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        s, e = _strip(text, start + s, start + e)
        if s < e:
            spans.append((s, e))
    return spans


def _chunk(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, bool]]:
    """Cut a unit longer than ``max_chars`` at word boundaries; each piece is flagged."""
    if end - start <= max_chars:
        return [(start, end, False)]
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start, start + max_chars)
        cut = cut if cut > start else start + max_chars  # one giant "word": hard cut
        s, e = _strip(text, start, cut)
        if s < e:
            pieces.append((s, e, True))
        start, _ = _strip(text, cut, end)
    if start < end:
        pieces.append((start, end, True))
    return pieces


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
