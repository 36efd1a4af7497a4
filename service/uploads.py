"""Uploaded labelled files: stored under safe names inside one directory, then checked by the loaders."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from eval.gold import DataError
from service.errors import ApiError

UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
MAX_SHOWN_NAME = 120
# Parts of a loader's message worth returning as fields: "<file>:<line>: field 'role' has unknown value 'x'; ..."
LINE_RE = re.compile(r"^(\d+):")
FIELD_RE = re.compile(r"field '([^']+)'")
VALUE_RE = re.compile(r"unknown value (.+?); allowed")


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded file: the name the client sent (for messages) and where it lies now."""

    name: str
    path: Path


def stored_name(sent: str | None, index: int, allowed: tuple[str, ...]) -> str:
    """A file name that cannot leave its directory: no separators, no dots but the extension's.

    The index prefix keeps two uploads called the same from overwriting each other.
    """
    base = re.split(r"[\\/]", sent or "")[-1]
    stem, dot, ext = base.rpartition(".")
    ext = f".{ext.lower()}" if dot else ""
    if ext not in allowed:
        raise ApiError(
            422,
            "unsupported_file",
            f"{shown(sent)}: unknown format {ext or 'without extension'}; expected one of {', '.join(allowed)}",
        )
    return f"{index:02d}-{UNSAFE_CHARS.sub('_', stem)[:60] or 'upload'}{ext}"


def shown(sent: str | None) -> str:
    """A client's file name as safe to echo: bounded, valid UTF-8."""
    return (sent or "<unnamed>")[:MAX_SHOWN_NAME].encode("utf-8", "replace").decode("utf-8")


async def store_uploads(
    files: list[UploadFile], directory: Path, allowed: tuple[str, ...]
) -> list[StoredUpload]:
    """Copy the uploads into ``directory`` (created if needed) under names from ``stored_name``."""
    directory.mkdir(parents=True, exist_ok=True)
    stored = []
    for index, upload in enumerate(files, 1):
        path = directory / stored_name(upload.filename, index, allowed)
        await asyncio.to_thread(_copy, upload, path)
        stored.append(StoredUpload(shown(upload.filename), path))
    return stored


def _copy(upload: UploadFile, path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)


def check_uploads(uploads: list[StoredUpload], reader: Callable[[Path], Any]) -> None:
    """Read every upload with ``reader``; 422 listing file, line, field and value of each problem."""
    problems = [problem for upload in uploads if (problem := _problem(upload, reader)) is not None]
    if problems:
        raise ApiError(
            422,
            "invalid_labelled_data",
            "; ".join(p["message"] for p in problems),
            details=problems,
        )


def _problem(upload: StoredUpload, reader: Callable[[Path], Any]) -> dict[str, Any] | None:
    try:
        reader(upload.path)
    except DataError as err:
        return _describe(upload.name, str(err).replace(str(upload.path), upload.name))
    except UnicodeDecodeError as err:
        return _describe(upload.name, f"{upload.name}: not valid UTF-8 at byte {err.start}; save it as UTF-8")
    except (ValueError, LookupError, TypeError, AttributeError) as err:
        # A file of the right type whose structure surprised the reader; its text says nothing useful.
        message = f"{upload.name}: could not be read ({type(err).__name__}); check it against the format described in /docs"
        return _describe(upload.name, message)
    return None


def _describe(name: str, message: str) -> dict[str, Any]:
    """One problem as fields: file, line (when known), field and value (when the message names them)."""
    rest = message[len(name) + 1 :] if message.startswith(f"{name}:") else ""
    line, field, value = LINE_RE.match(rest), FIELD_RE.search(message), VALUE_RE.search(message)
    return {
        "file": name,
        "line": int(line.group(1)) if line else None,
        "field": field.group(1) if field else None,
        "value": value.group(1) if value else None,
        "message": message,
    }
