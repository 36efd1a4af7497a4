"""Training jobs, each run by ``python -m service.job_worker JOB_DIR`` in a process of its own.

A job directory under ``settings.jobs_dir`` holds ``request.json`` (what to train),
``data/`` (the uploaded files), ``status.json`` (state, progress, result) and ``log.txt``
(the worker's output). The worker owns ``status.json`` while it lives; the server writes it
only to record that a worker died without finishing. Training never runs in the server
process, so a crashed or killed job cannot take the server or the serving model with it, and
the registry's atomic writes mean it cannot leave a half-written version either.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.settings import Settings
from service.errors import ApiError

JOB_ID_RE = re.compile(r"^[0-9a-f]{32}$")
FINAL_STATES = ("succeeded", "failed")
LOG_TAIL_LINES = 40
LOG_TAIL_BYTES = 16_384


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write then rename, so a reader never sees half a file (and a kill never leaves one)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    os.replace(tmp, path)


class JobFiles:
    """The files of one job directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.id = directory.name
        self.request = directory / "request.json"
        self.status_file = directory / "status.json"
        self.log = directory / "log.txt"
        self.data = directory / "data"

    def read_status(self) -> dict[str, Any]:
        return json.loads(self.status_file.read_text(encoding="utf-8"))

    def update_status(self, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into status.json and return the new status."""
        status = self.read_status() if self.status_file.is_file() else {}
        status.update(changes)
        write_json_atomic(self.status_file, status)
        return status

    def log_tail(self) -> list[str]:
        """The last lines of the worker's log."""
        if not self.log.is_file():
            return []
        with self.log.open("rb") as handle:
            handle.seek(max(0, self.log.stat().st_size - LOG_TAIL_BYTES))
            text = handle.read().decode("utf-8", errors="replace")
        return text.splitlines()[-LOG_TAIL_LINES:]


class JobRunner:
    """Starts training workers and reports on them; at most one job runs at a time."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.jobs_dir
        self.registry = settings.registry
        # Our children, kept so that they are reaped and their exit codes read.
        self._workers: dict[str, subprocess.Popen[bytes]] = {}
        # Held from the "is one running?" check until the new worker has started.
        self.submitting = asyncio.Lock()

    def new_job(self) -> JobFiles:
        """A fresh, empty job directory (its id is random, so it cannot collide or be guessed)."""
        job = JobFiles(self.root / uuid.uuid4().hex)
        job.data.mkdir(parents=True)
        return job

    def start(self, job: JobFiles, options: dict[str, Any], files: dict[str, str]) -> None:
        """Record the request and start its worker. ``files`` maps stored names to the names sent."""
        request = {"options": options, "files": sorted(files), "registry": str(self.registry.resolve())}
        write_json_atomic(job.request, request)
        job.update_status(
            id=job.id, state="queued", options=options, files=list(files.values()), created=utc_now()
        )
        with job.log.open("ab") as log:
            self._workers[job.id] = subprocess.Popen(
                [sys.executable, "-m", "service.job_worker", str(job.dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a signal to the server's process group leaves training alone
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def get(self, job_id: str) -> JobFiles:
        """The job with this id; anything that is not a job id is a 404 before it touches a path."""
        job = JobFiles(self.root / job_id) if JOB_ID_RE.match(job_id) else None
        if job is None or not job.status_file.is_file():
            raise ApiError(404, "unknown_job", f"no training job {job_id[:40]!r}; POST /v1/train starts one")
        return job

    def status(self, job_id: str) -> dict[str, Any]:
        """The job's status with its log tail; a worker that died unfinished is recorded as failed."""
        job = self.get(job_id)
        status = self._settle(job)
        return {**status, "log_tail": job.log_tail()}

    def running(self) -> str | None:
        """The id of a job still queued or running, if any."""
        if not self.root.is_dir():
            return None
        for directory in self.root.iterdir():
            job = JobFiles(directory)
            is_job = JOB_ID_RE.match(job.id) and job.status_file.is_file()
            if is_job and self._settle(job).get("state") not in FINAL_STATES:
                return job.id
        return None

    def _settle(self, job: JobFiles) -> dict[str, Any]:
        worker = self._workers.get(job.id)
        # Poll before reading: a worker writes its final status before it exits.
        exit_code = worker.poll() if worker is not None else None
        status = job.read_status()
        if status.get("state") in FINAL_STATES:
            self._workers.pop(job.id, None)
            return status
        death = _death(exit_code) if worker is not None else _orphan_death(status)
        if death is None:
            return status
        self._workers.pop(job.id, None)
        return job.update_status(
            state="failed",
            finished=utc_now(),
            error=f"{death} before finishing; the registry and the active model are unchanged",
        )


def _death(exit_code: int | None) -> str | None:
    if exit_code is None:
        return None
    if exit_code < 0:
        return f"the training process was killed by {signal.Signals(-exit_code).name}"
    return f"the training process exited with code {exit_code}"


def _orphan_death(status: dict[str, Any]) -> str | None:
    """For a job another server process started: is its worker still alive?"""
    pid = status.get("pid")
    if pid is None:
        return "the server stopped before the training process started"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "the training process is gone"
    except PermissionError:
        pass  # alive, owned by someone else
    return None
