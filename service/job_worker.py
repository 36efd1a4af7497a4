"""One training job in a process of its own: ``python -m service.job_worker JOB_DIR``.

Started by service.jobs.JobRunner. Reads ``request.json``, trains through training's public
``run_training``, and keeps ``status.json`` up to date; its output goes to ``log.txt``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.jobs import JobFiles, utc_now

log = logging.getLogger("service.job_worker")
PROGRESS_EVERY_S = 0.5


class ProgressWriter:
    """Turns the trainer's per-step callbacks into status.json progress, at most twice a second."""

    def __init__(self, job: JobFiles, epochs: int) -> None:
        self.job = job
        self.epochs = epochs
        self.last = 0.0

    def __call__(self, step: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and step["step"] != step["steps"]:
            return
        self.last = now
        done = (step["epoch"] - 1 + step["step"] / max(step["steps"], 1)) / self.epochs
        self.job.update_status(
            progress={"phase": "training", "fraction": round(done, 4), "epochs": self.epochs, **step}
        )


def train_request(job: JobFiles, spec: dict[str, Any]) -> Any:
    """The TrainRequest for a job's request.json."""
    from training.train import TrainRequest
    from training.trainer import TrainSettings

    options = spec["options"]
    return TrainRequest(
        data=[job.data / name for name in spec["files"]],
        registry=Path(spec["registry"]),
        start_from=options["start_from"],
        version=options.get("version"),
        activate=options["activate"],
        context=options["context"],
        settings=TrainSettings(epochs=options["epochs"], seed=options["seed"]),
    )


def describe_failure(err: Exception, job: JobFiles) -> str:
    """What the job status says: data and registry problems as they are, anything else by type only."""
    from eval.gold import DataError
    from models.artifact import ArtifactError
    from models.registry import RegistryError

    if isinstance(err, DataError | RegistryError | ArtifactError | ValueError):
        return str(err).replace(f"{job.data}{os.sep}", "")  # upload names, not server paths
    return f"internal error during training ({type(err).__name__}); the job log has the traceback"


def lower_priority() -> None:
    """Leave CPU to the server, which keeps answering annotation requests while this trains.

    The worker runs in a session of its own, and where the kernel groups scheduling by session
    (autogroup) a process's nice value only ranks it within its group: the group's own nice
    has to be raised as well, or the job takes a full share of the CPU from the server.
    """
    os.nice(19)
    try:
        Path("/proc/self/autogroup").write_text("19")
    except OSError:
        log.info("no scheduler autogroup to lower (not Linux, or autogroup disabled)")


def run(job: JobFiles) -> int:
    """Train, record the outcome in status.json; returns the process exit code."""
    import torch

    from training.train import run_training

    spec = json.loads(job.request.read_text(encoding="utf-8"))
    lower_priority()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    job.update_status(state="running", pid=os.getpid(), started=utc_now(), progress={"phase": "starting"})
    try:
        request = train_request(job, spec)
        result = run_training(request, ProgressWriter(job, request.settings.epochs), show_progress=False)
    except Exception as err:
        log.exception("training failed")
        job.update_status(state="failed", finished=utc_now(), error=describe_failure(err, job))
        return 1
    job.update_status(
        state="succeeded",
        finished=utc_now(),
        progress={"phase": "done", "fraction": 1.0},
        version=result["version"],
        activated=result["activated"],
        metrics=result["metrics"],
    )
    log.info("job %s: trained version %s (activated: %s)", job.id, result["version"], result["activated"])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m service.job_worker JOB_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(JobFiles(Path(args[0])))


if __name__ == "__main__":
    sys.exit(main())
