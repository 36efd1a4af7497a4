"""A directory of model versions plus a pointer to the active one.

``<root>/<version>/`` holds one model; ``<root>/ACTIVE`` names the active version.
Writes are atomic: a model is written under ``<root>/.staging/`` and renamed into place
only when complete, so an interrupted training run never leaves a loadable half-model.
When the registry is empty, the model shipped inside the package is used.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from models.artifact import REQUIRED_FILES

SHIPPED_MODEL = Path(__file__).resolve().parent / "default"
SHIPPED_VERSION = "default"
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ACTIVE_FILE = "ACTIVE"
STAGING = ".staging"


class RegistryError(LookupError):
    """An unknown or invalid model version."""


class Registry:
    """Model versions on disk; version names can never leave the registry directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def versions(self) -> list[str]:
        """Complete versions, oldest first, then the shipped model."""
        found = []
        if self.root.is_dir():
            complete = (
                p for p in self.root.iterdir() if p.is_dir() and VERSION_RE.fullmatch(p.name) and _complete(p)
            )
            found = [p.name for p in sorted(complete, key=lambda p: (p.stat().st_mtime, p.name))]
        return found + [SHIPPED_VERSION] if _complete(SHIPPED_MODEL) else found

    def path(self, version: str) -> Path:
        """The directory of a version; unknown or malformed names are a RegistryError."""
        if version == SHIPPED_VERSION:
            return SHIPPED_MODEL
        if not VERSION_RE.fullmatch(version or ""):
            raise RegistryError(f"invalid model version {version!r}: use letters, digits, '.', '_' and '-'")
        path = self.root / version
        if not _complete(path):
            raise RegistryError(
                f"unknown model version {version!r}; available: {', '.join(self.versions()) or 'none'}"
            )
        return path

    def active(self) -> str:
        """The active version: the ACTIVE pointer, else the shipped model."""
        pointer = self.root / ACTIVE_FILE
        if pointer.is_file():
            version = pointer.read_text(encoding="utf-8").strip()
            if version == SHIPPED_VERSION or (
                VERSION_RE.fullmatch(version) and _complete(self.root / version)
            ):
                return version
        return SHIPPED_VERSION

    def resolve(self, version: str | None) -> Path:
        """Path of the named version, or of the active one when ``version`` is None."""
        return self.path(version or self.active())

    def activate(self, version: str) -> None:
        """Point ACTIVE at an existing version (atomic replace of the pointer file)."""
        self.path(version)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".active-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(version + "\n")
        os.replace(tmp, self.root / ACTIVE_FILE)

    def new_version_name(self, prefix: str = "v") -> str:
        """A fresh, sortable version name."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        name, n = f"{prefix}{stamp}", 1
        while (self.root / name).exists():
            n += 1
            name = f"{prefix}{stamp}-{n}"
        return name

    @contextmanager
    def writing(self, version: str) -> Iterator[Path]:
        """Yield a path to write a model into; it appears as ``version`` only if the block succeeds."""
        if not VERSION_RE.fullmatch(version) or version == SHIPPED_VERSION:
            raise RegistryError(f"invalid model version {version!r}")
        final = self.root / version
        if final.exists():
            raise RegistryError(f"model version {version!r} already exists")
        staging = self.root / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=staging, prefix=f"{version}-"))
        try:
            yield scratch / "model"
            os.rename(scratch / "model", final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _complete(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in REQUIRED_FILES)
