"""POST /v1/annotate and /v1/annotate/batch: articles in, the CLI's annotation JSON out."""

# No ``from __future__ import annotations`` here: FastAPI resolves string annotations in module
# globals, and the request models are built per app (they carry its limits) inside the factory.

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from models.labels import DEFAULT_TARGET
from models.pipeline import AnnotatedArticle, Annotator, DocumentInput
from models.text import TextError
from service.errors import ApiError
from service.guards import CheckedRoute
from service.schemas import AnnotateResponse, BatchResponse, RequestModels, error_responses

if TYPE_CHECKING:
    from service.app import Services


def annotate_router(services: "Services", models: RequestModels) -> APIRouter:
    """The annotation routes of one app."""
    router = APIRouter(route_class=CheckedRoute, tags=["annotate"])
    AnnotateRequest, BatchRequest = models.annotate, models.batch

    @router.post(
        "/v1/annotate",
        response_model=None,
        responses={200: {"model": AnnotateResponse}, **error_responses(413, 415, 422)},
    )
    async def annotate(body: AnnotateRequest) -> JSONResponse:
        """Label every sentence of one article with role and stance toward the target."""
        document = DocumentInput(body.text, body.target or DEFAULT_TARGET, body.format)
        (article,) = await run_annotation(services, [document])
        request_id = uuid.uuid4().hex
        return respond({**article.to_dict(), "request_id": request_id}, request_id, article)

    @router.post(
        "/v1/annotate/batch",
        response_model=None,
        responses={200: {"model": BatchResponse}, **error_responses(413, 415, 422)},
    )
    async def annotate_batch(body: BatchRequest) -> JSONResponse:
        """Annotate several articles in one batched pass; results come back in the order sent."""
        documents = [DocumentInput(d.text, d.target or DEFAULT_TARGET, d.format) for d in body.documents]
        articles = await run_annotation(services, documents)
        request_id = uuid.uuid4().hex
        results = [{"id": d.id, **a.to_dict()} for d, a in zip(body.documents, articles, strict=True)]
        return respond({"request_id": request_id, "articles": results}, request_id, articles[0])

    return router


async def run_annotation(services: "Services", documents: list[DocumentInput]) -> list[AnnotatedArticle]:
    """Annotate on an inference thread; text the pipeline cannot segment is a 422."""

    def work(annotator: Annotator) -> list[AnnotatedArticle]:
        return annotator.annotate_many(documents)

    try:
        articles = await services.slot.run(work)
    except TextError as err:
        raise ApiError(422, "invalid_text", str(err)) from err
    services.metrics.count_annotated([len(a.sentences) for a in articles])
    return articles


def respond(body: dict[str, Any], request_id: str, article: AnnotatedArticle) -> JSONResponse:
    """The JSON body, with the request id and the answering model version as headers too."""
    headers = {"X-Request-ID": request_id, "X-Model-Version": article.model["version"]}
    return JSONResponse(body, headers=headers)
