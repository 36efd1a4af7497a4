"""Request and response bodies. Request limits come from Settings, so request models are built per app.

Size limits raise the error types listed in ``errors.TOO_LARGE_ERRORS`` (answered 413); every
other problem is a 422.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from models.labels import DEFAULT_TARGET
from models.settings import Settings

Format = Literal["text", "html"]
MAX_ID_CHARS = 200


def valid_unicode(value: str) -> str:
    """Refuse lone surrogates: JSON allows them, but they cannot be written back as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise PydanticCustomError(
            "invalid_unicode",
            "contains an unpaired surrogate at position {position}",
            {"position": err.start},
        ) from err
    return value


def text_check(max_chars: int) -> Callable[[str], str]:
    """Validator for article text: at most ``max_chars`` characters (else 413), not blank (else 422)."""

    def check(value: str) -> str:
        if len(value) > max_chars:
            raise PydanticCustomError(
                "text_too_large",
                "the text has {got} characters; the limit is {limit}: send a shorter article",
                {"got": len(value), "limit": max_chars},
            )
        if not value.strip():
            raise PydanticCustomError(
                "text_blank", "the text is empty or only whitespace; send the article's text"
            )
        return valid_unicode(value)

    return check


def not_blank_target(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise PydanticCustomError("target_blank", "the target is only whitespace; omit it or name a target")
    return value if value is None else valid_unicode(value)


def batch_check(max_documents: int) -> Callable[[list[Any]], list[Any]]:
    def check(documents: list[Any]) -> list[Any]:
        if len(documents) > max_documents:
            raise PydanticCustomError(
                "batch_too_large",
                "the batch has {got} documents; the limit is {limit}: split it into smaller batches",
                {"got": len(documents), "limit": max_documents},
            )
        return documents

    return check


@dataclass(frozen=True)
class RequestModels:
    """The request bodies of one app, carrying that app's limits."""

    annotate: type[BaseModel]
    batch: type[BaseModel]


def request_models(settings: Settings) -> RequestModels:
    """Build the annotate and batch request models with the limits in ``settings``."""
    ArticleText = Annotated[
        str,
        Field(
            description=f"the article, plain text or HTML (at most {settings.max_text_chars} characters)",
            json_schema_extra={"minLength": 1, "maxLength": settings.max_text_chars, "pattern": r"\S"},
        ),
        AfterValidator(text_check(settings.max_text_chars)),
    ]
    Target = Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=settings.max_target_chars,
            description=f"what stance is taken toward (default: {DEFAULT_TARGET!r})",
            json_schema_extra={"pattern": r"\S"},  # documents the not-blank check below
        ),
        AfterValidator(not_blank_target),
    ]
    InputFormat = Annotated[Format | None, Field(description="input format (default: detect)")]

    class AnnotateRequest(BaseModel):
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [{"text": "We must act now. The data is clear.", "target": DEFAULT_TARGET}]
            },
        )
        text: ArticleText
        target: Target = None
        format: InputFormat = None

    class BatchDocument(AnnotateRequest):
        model_config = ConfigDict(json_schema_extra={"examples": [{"id": "a1", "text": "We must act now."}]})

        id: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(valid_unicode)]

    Documents = Annotated[
        list[BatchDocument],
        Field(
            min_length=1,
            description=f"at most {settings.max_batch_documents} documents",
            json_schema_extra={"maxItems": settings.max_batch_documents},
        ),
        AfterValidator(batch_check(settings.max_batch_documents)),
    ]

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        documents: Documents

    return RequestModels(annotate=AnnotateRequest, batch=BatchRequest)


# Responses: documented shapes. Annotation routes return AnnotatedArticle.to_dict() as it is.


class LabelScore(BaseModel):
    label: str
    score: float
    scores: dict[str, float]


class SentenceOut(BaseModel):
    index: int
    start: int = Field(description="offset into the returned text")
    end: int
    text: str
    role: LabelScore
    stance: LabelScore
    chunked: bool


class Summary(BaseModel):
    roles: dict[str, int]
    stances: dict[str, int]
    article_stance: LabelScore


class ModelRef(BaseModel):
    name: str
    version: str


class Article(BaseModel):
    target: str
    model: ModelRef
    text: str = Field(description="the text offsets refer to (extracted text for HTML input)")
    sentences: list[SentenceOut]
    summary: Summary
    timings_ms: dict[str, float]


class AnnotateResponse(Article):
    request_id: str


class BatchArticle(Article):
    id: str


class BatchResponse(BaseModel):
    request_id: str
    articles: list[BatchArticle]


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model: ModelRef


class Limits(BaseModel):
    max_text_chars: int
    max_target_chars: int
    max_batch_documents: int
    max_body_bytes: int


class Info(BaseModel):
    name: str
    version: str
    precision: str = Field(description="the inference path in use: fp32, int8 or bf16")
    labels: dict[str, list[str]]
    default_target: str
    metrics: dict[str, Any] = Field(description="the model's metrics.json (empty when it has none)")
    limits: Limits


class ModelEntry(BaseModel):
    version: str
    active: bool
    metrics: dict[str, Any]


class ModelList(BaseModel):
    active: str
    versions: list[ModelEntry]


class Activated(BaseModel):
    active: str
    previous: str


class JobAccepted(BaseModel):
    job_id: str
    status_url: str


class JobStatus(BaseModel):
    id: str
    state: Literal["queued", "running", "succeeded", "failed"]
    options: dict[str, Any]
    files: list[str]
    created: str
    started: str | None = None
    finished: str | None = None
    progress: dict[str, Any] = Field(default_factory=dict)
    version: str | None = None
    activated: bool | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None
    pid: int | None = Field(None, description="the training process, once it runs")
    log_tail: list[str] = Field(default_factory=list)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {status: {"model": ErrorResponse} for status in statuses}
