"""Retraining over HTTP: POST /v1/train starts a job in its own process; GET /v1/jobs/{id} follows it."""

from __future__ import annotations

import asyncio
import shutil
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from models.registry import SHIPPED_VERSION, VERSION_RE, RegistryError
from service.errors import ApiError
from service.guards import CheckedRoute, auth_dependencies
from service.schemas import JobAccepted, JobStatus, error_responses
from service.uploads import check_uploads, store_uploads

if TYPE_CHECKING:
    from service.app import Services

TRAIN_FORMATS = (".jsonl", ".csv", ".json")
MAX_TRAIN_FILES = 16


def jobs_router(services: Services) -> APIRouter:
    """Routes that start and report training jobs."""
    router = APIRouter(route_class=CheckedRoute, tags=["training"])
    settings = services.settings

    @router.post(
        "/v1/train",
        status_code=202,
        response_model=JobAccepted,
        dependencies=auth_dependencies(settings),
        responses=error_responses(401, 404, 409, 413, 415, 422),
    )
    async def train(
        files: Annotated[list[UploadFile], File(description="labelled files: .jsonl (gold), .csv, .json")],
        epochs: Annotated[int | None, Form(ge=1, le=100, description="maximum epochs")] = None,
        seed: Annotated[int | None, Form(ge=0, le=2**32 - 1)] = None,
        start_from: Annotated[str, Form(description="'base' or a registry version to continue")] = "base",
        version: Annotated[
            str | None, Form(description="name of the new version (default: a timestamp)")
        ] = None,
        activate: Annotated[
            bool, Form(description="activate if at least as good as the active model")
        ] = False,
        context: Annotated[
            Literal["gru", "none"], Form(description="sentence context (from base only)")
        ] = "gru",
    ) -> JSONResponse:
        """Check the uploads, then train a new registry version in a separate process (202 + job id)."""
        if len(files) > MAX_TRAIN_FILES:
            raise ApiError(422, "too_many_files", f"{len(files)} files; send at most {MAX_TRAIN_FILES}")
        check_versions(services, start_from, version)
        options = {
            "epochs": epochs or settings.epochs,
            "seed": settings.seed if seed is None else seed,
            "start_from": start_from,
            "version": version,
            "activate": activate,
            "context": context,
        }
        job_id = await submit(services, files, options)
        url = f"/v1/jobs/{job_id}"
        return JSONResponse({"job_id": job_id, "status_url": url}, status_code=202, headers={"Location": url})

    @router.get("/v1/jobs/{job_id}", response_model=JobStatus, responses=error_responses(404))
    async def job_status(job_id: str) -> dict[str, Any]:
        """State, progress, log tail and, once finished, the new version and its metrics or the error."""
        return services.jobs.status(job_id)

    return router


def check_versions(services: Services, start_from: str, version: str | None) -> None:
    """The starting version must exist (404); the new name must be valid (422) and free (409)."""
    if start_from != "base":
        try:
            services.registry.path(start_from)
        except RegistryError as err:
            raise ApiError(404, "unknown_version", str(err)) from err
    if version is None:
        return
    if not VERSION_RE.fullmatch(version) or version == SHIPPED_VERSION:
        raise ApiError(
            422,
            "invalid_version_name",
            f"invalid version name {version[:80]!r}: use 1-64 letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit, and not {SHIPPED_VERSION!r}",
        )
    if (services.registry.root / version).exists():
        raise ApiError(409, "version_exists", f"version {version!r} already exists; choose another name")


async def submit(services: Services, files: list[UploadFile], options: dict[str, Any]) -> str:
    """Store and validate the uploads in a new job directory, then start its worker (one job at a time)."""
    from training.formats import load_articles

    jobs = services.jobs
    async with jobs.submitting:
        running = jobs.running()
        if running is not None:
            raise ApiError(
                409,
                "job_running",
                f"training job {running} is still running; follow it at /v1/jobs/{running}",
            )
        job = jobs.new_job()
        try:
            uploads = await store_uploads(files, job.data, TRAIN_FORMATS)
            # Every row is checked before anything starts: a bad file is a 422 now, not a failed job later.
            await asyncio.to_thread(check_uploads, uploads, load_articles)
        except BaseException:
            shutil.rmtree(job.dir, ignore_errors=True)
            raise
        jobs.start(job, options, {u.path.name: u.name for u in uploads})
    return job.id
