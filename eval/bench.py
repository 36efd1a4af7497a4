"""``argstance bench``: latency, throughput, HTTP latency, memory and load time on this machine.

Speed is measured here, never in timed unit tests. The server figures come from a real
``argstance serve`` process on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch

from eval.baselines import tfidf_logreg
from eval.gold import GoldArticle
from models.pipeline import Annotator, DocumentInput
from models.text import segment

EXAMPLE = Path(__file__).resolve().parent / "samples" / "example-oped.txt"


def timed(fn: Callable[[], object], runs: int = 30, warmup: int = 3) -> dict[str, float]:
    """Median and p95 wall time in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median": round(statistics.median(samples), 1),
        "p95": round(float(np.percentile(samples, 95)), 1),
        "runs": runs,
    }


def throughput(
    annotator: Annotator, articles: list[GoldArticle], docs_per_batch: int = 8, passes: int = 3
) -> dict[str, Any]:
    """Sentences per second annotating raw articles in batch mode (segmentation included): the
    median of ``passes`` passes, each listed. The first pass also pays for every batch shape the
    process has not met yet (the bf16 path compiles kernels per shape); this machine is shared,
    so single passes vary by about 15%."""
    docs = [DocumentInput(a.text or " ".join(s.text for s in a.sentences), a.target) for a in articles]
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        sentences = sum(
            len(r.sentences)
            for i in range(0, len(docs), docs_per_batch)
            for r in annotator.annotate_many(docs[i : i + docs_per_batch])
        )
        rates.append(round(sentences / (time.perf_counter() - start), 1))
    return {"sentences": sentences, "passes": rates, "sentences_per_s": statistics.median(rates)}


def matmul_peak_gflops(dtype: torch.dtype = torch.float32, size: int = 1024, runs: int = 10) -> float:
    """Measured matrix-multiply rate of this machine in ``dtype`` with torch's current threads."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    for _ in range(2):
        a @ b
    start = time.perf_counter()
    for _ in range(runs):
        a @ b
    return 2 * size**3 * runs / (time.perf_counter() - start) / 1e9


def flops_per_sentence(annotator: Annotator, tokens: float) -> float:
    """Forward FLOPs of one (target, sentence) pair: 2 x non-embedding weights x tokens + attention."""
    config = annotator.loaded.model.encoder.config
    # From the architecture, not the parameters: quantised layers hide their weights from named_parameters().
    hidden, layers = config.hidden_size, config.num_hidden_layers
    weights = layers * (4 * hidden * hidden + 2 * hidden * config.intermediate_size)
    attention = 4 * config.num_hidden_layers * tokens * tokens * config.hidden_size
    return 2 * weights * tokens + attention


def mean_tokens(annotator: Annotator, articles: list[GoldArticle]) -> float:
    pairs = [(a.target, s.text) for a in articles for s in a.sentences]
    # One pair at a time: in a batch, padding would count as tokens.
    return float(np.mean([len(annotator.loaded.tokenizer.encode(t, s).ids) for t, s in pairs]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_bench(text: str, env: dict[str, str], requests_per_level: int = 40) -> dict[str, Any]:
    """Start ``argstance serve`` on 127.0.0.1, time load-to-ready, latency at concurrency 1 and 8, peak RSS."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the report
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        load_s = _wait_ready(url, server, timeout=120)
        result: dict[str, Any] = {"load_s": round(load_s, 2)}
        with httpx.Client(timeout=60) as client:
            post = lambda: client.post(f"{url}/v1/annotate", json={"text": text}).raise_for_status()  # noqa: E731
            for concurrency in (1, 8):
                result[f"concurrency_{concurrency}"] = _load(post, concurrency, requests_per_level)
        result["peak_rss_mb"] = round(_peak_rss_kb(server.pid) / 1024, 1)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_ready(url: str, server: subprocess.Popen, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server was not ready after {timeout} s")


def _load(call: Callable[[], object], concurrency: int, total: int) -> dict[str, float]:
    def one(_: int) -> float:
        start = time.perf_counter()
        call()
        return (time.perf_counter() - start) * 1000

    call()  # warm-up
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        samples = list(pool.map(one, range(total)))
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(float(np.percentile(samples, 95)), 1),
        "requests_per_s": round(total / (time.perf_counter() - start), 2),
    }


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run_bench(
    annotator: Annotator,
    test: list[GoldArticle],
    train: list[GoldArticle],
    files: list[Path],
    http: bool,
    env: dict[str, str],
) -> dict[str, Any]:
    """Every figure of the benchmark, as one JSON-able dict."""
    example = EXAMPLE.read_text(encoding="utf-8")
    report: dict[str, Any] = {
        "model": annotator.model_info,
        "inference_path": annotator.loaded.precision,
        "cpu": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "latency_ms": {
            "example-oped.txt": {"units": len(segment(example)), **timed(lambda: annotator.annotate(example))}
        },
    }
    for path in files:
        text = path.read_text(encoding="utf-8")
        report["latency_ms"][path.name] = {
            "units": len(segment(text)),
            **timed(lambda t=text: annotator.annotate(t)),
        }
    report["throughput"] = throughput(annotator, test)
    tokens = mean_tokens(annotator, test)
    # The limit of the path that ran: bf16 matrices use the CPU's bf16 units (AMX here); int8 is
    # compared with fp32, since its float parts and the dynamic quantisation run in fp32.
    peak_dtype = torch.bfloat16 if annotator.loaded.precision == "bf16" else torch.float32
    peak = matmul_peak_gflops(peak_dtype)
    achieved = report["throughput"]["sentences_per_s"] * flops_per_sentence(annotator, tokens) / 1e9
    report["arithmetic"] = {
        "mean_tokens_per_sentence": round(tokens, 1),
        "gflops_per_sentence": round(flops_per_sentence(annotator, tokens) / 1e9, 3),
        "matmul_peak_gflops": round(peak, 1),
        "matmul_peak_dtype": str(peak_dtype).removeprefix("torch."),
        "achieved_gflops": round(achieved, 1),
        "fraction_of_peak": round(achieved / peak, 3),
    }
    report["tfidf_baseline"] = _baseline_speed(train, test, example)
    if http:
        report["http"] = http_bench(example, env)
    return report


def _baseline_speed(train: list[GoldArticle], test: list[GoldArticle], example: str) -> dict[str, Any]:
    baseline = tfidf_logreg(train)

    def annotate(text: str, target: str = "cyber sovereignty") -> None:
        pairs = [(target, u.text) for u in segment(text)]
        baseline.predict("role", pairs)
        baseline.predict("stance", pairs)

    start = time.perf_counter()
    sentences = 0
    for article in test:
        annotate(article.text or "", article.target)
        sentences += len(article.sentences)
    return {
        "latency_ms": timed(lambda: annotate(example)),
        "sentences_per_s": round(sentences / (time.perf_counter() - start), 1),
    }


def to_table(report: dict[str, Any]) -> str:
    """A readable summary of the benchmark."""
    rows = [
        f"model {report['model']['version']} | path {report['inference_path']} | {report['cpu']} | {report['threads']} threads"
    ]
    for name, lat in report["latency_ms"].items():
        rows.append(f"annotate {name} ({lat['units']} units): median {lat['median']} ms, p95 {lat['p95']} ms")
    t = report["throughput"]
    rows.append(f"batch throughput: {t['sentences_per_s']} sentences/s (median of passes {t['passes']})")
    a = report["arithmetic"]
    rows.append(
        f"arithmetic: {a['achieved_gflops']} of {a['matmul_peak_gflops']} GFLOP/s measured {a['matmul_peak_dtype']} matmul peak ({a['fraction_of_peak']:.0%})"
    )
    b = report["tfidf_baseline"]
    rows.append(
        f"TF-IDF baseline: {b['latency_ms']['median']} ms per example, {b['sentences_per_s']} sentences/s"
    )
    if "http" in report:
        h = report["http"]
        rows.append(
            f"HTTP: load {h['load_s']} s, c=1 p50 {h['concurrency_1']['p50_ms']} ms, c=8 p95 {h['concurrency_8']['p95_ms']} ms, "
            f"peak RSS {h['peak_rss_mb']} MB"
        )
    return "\n".join(rows)


def dump(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=1)


def server_env(precision: str, version: str | None) -> dict[str, str]:
    """The server's environment: the inference path and, unless it is the active one, the model."""
    return {
        **os.environ,
        "ARGSTANCE_PRECISION": precision,
        **({"ARGSTANCE_VERSION": version} if version else {}),
    }
