"""The model registry over HTTP: list versions, activate one (which is also how to roll back)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from models.artifact import ArtifactError
from models.registry import RegistryError
from service.errors import ApiError
from service.guards import CheckedRoute, auth_dependencies
from service.schemas import Activated, ModelList, error_responses

if TYPE_CHECKING:
    from service.app import Services


def models_router(services: Services) -> APIRouter:
    """Routes over the registry of one app."""
    router = APIRouter(route_class=CheckedRoute, tags=["models"])

    @router.get("/v1/models", response_model=ModelList)
    async def list_models() -> dict[str, Any]:
        """Every complete version in the registry with its metrics, and which one is serving."""
        registry, active = services.registry, services.slot.current.version
        versions = [
            {"version": v, "active": v == active, "metrics": read_metrics(registry.path(v))}
            for v in registry.versions()
        ]
        return {"active": active, "versions": versions}

    @router.post(
        "/v1/models/{version}/activate",
        response_model=Activated,
        dependencies=auth_dependencies(services.settings),
        responses=error_responses(401, 404, 409),
    )
    async def activate(version: str) -> dict[str, str]:
        """Serve ``version`` from now on. It is loaded completely first; requests in flight finish on
        the model they started with. Activating the previous version rolls back."""
        try:
            previous = await services.slot.activate(version)
        except RegistryError as err:
            raise ApiError(404, "unknown_version", str(err)) from err
        except ArtifactError as err:
            raise ApiError(409, "unloadable_version", str(err)) from err
        return {"active": version, "previous": previous}

    return router


def read_metrics(path: Path) -> dict[str, Any]:
    """A version's metrics.json; a model without one (or with a broken one) lists none."""
    try:
        return json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
