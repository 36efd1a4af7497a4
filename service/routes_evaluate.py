"""POST /v1/evaluate: score a registry version on an uploaded gold file."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from eval.gold import GoldArticle, read_jsonl
from models.artifact import ArtifactError
from models.pipeline import Annotator
from models.registry import RegistryError
from service.errors import ApiError
from service.guards import CheckedRoute
from service.schemas import error_responses
from service.uploads import check_uploads, store_uploads

if TYPE_CHECKING:
    from service.app import Services


def evaluate_router(services: Services) -> APIRouter:
    """The evaluation route of one app."""
    router = APIRouter(route_class=CheckedRoute, tags=["evaluate"])

    @router.post("/v1/evaluate", responses=error_responses(404, 409, 413, 415, 422))
    async def evaluate(
        file: Annotated[UploadFile, File(description="gold JSON Lines (the annotation guidelines' format)")],
        version: Annotated[
            str | None, Form(description="registry version (default: the serving one)")
        ] = None,
        baselines: Annotated[
            bool, Form(description="also score the baselines, trained on the shipped corpus (slower)")
        ] = False,
    ) -> dict[str, Any]:
        """The evaluation report JSON of ``argstance evaluate`` for one version on the uploaded file."""
        with tempfile.TemporaryDirectory(prefix="argstance-eval-") as scratch:
            uploads = await store_uploads([file], Path(scratch), (".jsonl",))
            await asyncio.to_thread(check_uploads, uploads, read_jsonl)
            annotator = await annotator_for(services, version)
            train = await asyncio.to_thread(baseline_train) if baselines else None
            report = await services.slot.run(lambda a: evaluation(a, uploads[0].path, train), annotator)
        return {**report, "data": [uploads[0].name]}

    return router


async def annotator_for(services: Services, version: str | None) -> Annotator:
    """The serving annotator, or another version loaded for this request (404 when unknown)."""
    serving = services.slot.current
    if version is None or version == serving.version:
        return serving.annotator
    try:
        return await services.slot.load(version)
    except RegistryError as err:
        raise ApiError(404, "unknown_version", str(err)) from err
    except ArtifactError as err:
        raise ApiError(409, "unloadable_version", str(err)) from err


def baseline_train() -> list[GoldArticle]:
    """The baselines' training data: the shipped corpus's train split, as ``argstance evaluate`` uses."""
    from training.corpus import training_articles

    return training_articles()


def evaluation(annotator: Annotator, path: Path, train: list[GoldArticle] | None) -> dict[str, Any]:
    from eval.run import run_evaluation

    return run_evaluation(annotator, [path], train, show_progress=False)
