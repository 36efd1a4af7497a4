"""Load check of a running service: concurrent clients post an article for a fixed time.

    python -m service.loadcheck --url http://127.0.0.1:8000 --clients 16 --seconds 60
    python -m service.loadcheck ... --train training/data/opeds.jsonl   # with a retraining job running

Prints JSON: requests, errors (with samples), latency p50/p95/p99/max in ms, requests per second,
the model that answered and, with --train, the job's state at the end. Only 127.0.0.1 / localhost
are accepted, and runs are bounded, so this can never turn into a load generator against others.
Exit status 1 when any request failed. Needs httpx (the dev extras).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

EXAMPLE = Path(__file__).resolve().parents[1] / "eval" / "samples" / "example-oped.txt"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_CLIENTS, MAX_SECONDS = 64, 600
REQUEST_TIMEOUT_S = 300.0  # a queue of 16 full articles on a small CPU takes a while; an error is a failure


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float | None, error: str | None) -> None:
        with self.lock:
            if error is None and latency is not None:
                self.latencies.append(latency)
            else:
                self.errors[error or "unknown"] += 1


def local_url(url: str) -> str:
    """The URL without a trailing slash; anything but http on this machine is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(
            f"loadcheck: only http://127.0.0.1 or http://localhost URLs are allowed, got {url!r}"
        )
    return url.rstrip("/")


def client(url: str, body: dict[str, Any], deadline: float, tally: Tally) -> None:
    """One client: post the article back to back until the deadline, on one keep-alive connection."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = http.post("/v1/annotate", json=body)
            except httpx.HTTPError as err:
                tally.record(None, type(err).__name__)
                continue
            ok = response.status_code == 200 and response.json().get("sentences")
            tally.record(time.perf_counter() - started, None if ok else f"HTTP {response.status_code}")


def start_training(url: str, path: Path, options: dict[str, str], api_key: str | None) -> str:
    """Start a retraining job; its id."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with path.open("rb") as handle:
        response = httpx.post(
            f"{url}/v1/train",
            files={"files": (path.name, handle)},
            data=options,
            headers=headers,
            timeout=120,
        )
    if response.status_code != 202:
        raise SystemExit(f"loadcheck: could not start training: {response.status_code} {response.text[:300]}")
    return response.json()["job_id"]


def summarize(tally: Tally, seconds: float) -> dict[str, Any]:
    """Counts and latency percentiles (milliseconds) of a finished run."""
    latencies = sorted(tally.latencies)
    cuts = (
        statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    )
    return {
        "requests": len(latencies) + sum(tally.errors.values()),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "latency_ms": {
            name: round(value * 1000, 1)
            for name, value in (
                ("p50", cuts[49]),
                ("p95", cuts[94]),
                ("p99", cuts[98]),
                ("max", latencies[-1]),
            )
        }
        if latencies
        else {},
        "requests_per_s": round(len(latencies) / seconds, 2),
        "seconds": round(seconds, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = local_url(args.url)
    info = httpx.get(f"{url}/v1/info", timeout=30).raise_for_status().json()
    body = {"text": args.file.read_text(encoding="utf-8"), "target": args.target}
    job = None
    if args.train:
        options = {"epochs": str(args.train_epochs), "start_from": args.train_from}
        job = start_training(url, args.train, options, args.api_key)
    tally, started = Tally(), time.monotonic()
    threads = [
        threading.Thread(target=client, args=(url, body, started + args.seconds, tally), daemon=True)
        for _ in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = {
        "url": url,
        "model": {"name": info["name"], "version": info["version"], "precision": info.get("precision")},
        "clients": args.clients,
        "article_chars": len(body["text"]),
        **summarize(tally, time.monotonic() - started),
    }
    if job is not None:
        status = httpx.get(f"{url}/v1/jobs/{job}", timeout=30).json()
        report["training_job"] = {"id": job, "state": status["state"], "progress": status.get("progress")}
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service.loadcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service (127.0.0.1 only)")
    parser.add_argument("--clients", type=int, default=16, choices=range(1, MAX_CLIENTS + 1), metavar="N")
    parser.add_argument("--seconds", type=float, default=60.0, help=f"duration (at most {MAX_SECONDS})")
    parser.add_argument(
        "--file", type=Path, default=EXAMPLE, help="article to post (default: the example op-ed)"
    )
    parser.add_argument("--target", default="cyber sovereignty")
    parser.add_argument("--train", type=Path, help="also start a retraining job on this labelled file")
    parser.add_argument("--train-epochs", type=int, default=1)
    parser.add_argument("--train-from", default="base", help="'base' or a registry version")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("ARGSTANCE_API_KEY"),
        help="bearer token for /v1/train (default: env)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"loadcheck: --seconds must be in (0, {MAX_SECONDS}]")
    report = run(args)
    print(json.dumps(report, indent=1))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
