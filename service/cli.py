"""The ``argstance`` command line: one subcommand per user task.

Subcommands import their work lazily so that ``argstance segment`` never pays
for loading torch.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eval.gold import DataError
from models.artifact import ArtifactError
from models.labels import DEFAULT_TARGET
from models.registry import Registry, RegistryError
from models.settings import Settings
from models.text import TextError, decode, prepare, segment

if TYPE_CHECKING:
    from models.pipeline import Annotator


def read_input(path: str) -> str:
    """Read a file (or ``-`` for stdin) as UTF-8, with a clear error for other encodings."""
    if path == "-":
        return decode(sys.stdin.buffer.read(), "<stdin>")
    file = Path(path)
    if not file.is_file():
        raise TextError(f"{path}: no such file")
    return decode(file.read_bytes(), path)


def cmd_segment(args: argparse.Namespace) -> int:
    prepared = prepare(read_input(args.file), args.format)
    units = [
        {"index": s.index, "start": s.start, "end": s.end, "text": s.text} for s in segment(prepared.text)
    ]
    json.dump(units, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def load_annotator(settings: Settings, version: str | None) -> Annotator:
    """The annotator for a registry version (default: the active one, else the shipped model)."""
    from models.inference import apply_threads
    from models.pipeline import Annotator
    from models.precision import apply_precision

    apply_threads(settings.threads)

    path = Registry(settings.registry).resolve(version or settings.version)
    annotator = Annotator.from_path(path, batch_size=settings.batch_size)
    apply_precision(annotator.loaded, settings.precision)
    return annotator


def cmd_annotate(args: argparse.Namespace) -> int:
    annotator = load_annotator(args.settings, args.model)
    if args.jsonl:
        return annotate_jsonl(annotator, args.jsonl, args.target)
    if not args.files:
        raise TextError("give one or more files (or - for stdin), or --jsonl FILE")
    several = len(args.files) > 1
    for path in args.files:
        result = annotator.annotate(read_input(path), args.target, args.format).to_dict()
        print(json.dumps(result, ensure_ascii=False, indent=None if several else 1))
    return 0


def annotate_jsonl(annotator: Annotator, path: str, default_target: str | None) -> int:
    """One result per input line, same ``id``; a bad document yields an error line, not a crash."""
    from tqdm import tqdm

    from models.pipeline import DocumentInput

    lines = read_input(path).splitlines()
    failures = 0
    for number, line in enumerate(tqdm(lines, desc="annotating", unit="doc", file=sys.stderr), 1):
        if not line.strip():
            continue
        record: object = None
        try:
            record = json.loads(line)
            doc = DocumentInput(record["text"], record.get("target") or default_target or DEFAULT_TARGET)
            out = {"id": record.get("id"), **annotator.annotate_many([doc])[0].to_dict()}
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, TextError) as err:
            failures += 1
            doc_id = record.get("id") if isinstance(record, dict) else None
            out = {"id": doc_id, "error": f"{path}:{number}: {err}"}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def macro_f1_summary(report: dict) -> dict:
    """Role and stance macro-F1 per evaluation mode, rounded, from an evaluation report."""
    from eval.evaluate import TASKS

    return {
        mode: {task: round(scores[task]["macro_f1"], 4) for task in TASKS}
        for mode, scores in report.items()
        if mode in ("units", "end_to_end")
    }


def cmd_train(args: argparse.Namespace) -> int:
    from models.inference import apply_threads
    from training.corpus import CORPUS_PATH
    from training.train import TrainRequest, run_training
    from training.trainer import TrainSettings

    apply_threads(args.settings.threads)
    request = TrainRequest(
        data=[Path(p) for p in args.data] if args.data else [CORPUS_PATH],
        registry=args.settings.registry,
        extra_data=[Path(p) for p in args.extra_data],
        extra_weight=args.extra_weight,
        extra_tasks=args.extra_tasks,
        start_from=args.start_from,
        version=args.version,
        activate=args.activate,
        context=args.context,
        encoder_layers=args.encoder_layers,
        article_head=args.article_head,
        teachers=args.teacher,
        settings=TrainSettings(
            epochs=args.epochs or args.settings.epochs, seed=args.seed or args.settings.seed
        ),
    )
    result = run_training(request)
    summary = {k: result[k] for k in ("version", "path", "activated")}
    summary["test"] = macro_f1_summary(result["metrics"]["test"])
    summary["seconds"] = result["training"]["seconds"]
    print(json.dumps(summary, indent=1))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from eval.run import run_evaluation
    from training.corpus import training_articles

    baseline_train = training_articles(
        [Path(p) for p in args.baseline_train] if args.baseline_train else None
    )
    annotator = load_annotator(args.settings, args.model)
    report = run_evaluation(
        annotator, [Path(p) for p in args.data], baseline_train, args.report, split=args.split
    )
    from eval.report import to_markdown

    print(to_markdown(report) if args.report is None else f"report written to {args.report}/report.md")
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from models.inference import apply_threads
    from training.average import AverageRequest, run_average
    from training.corpus import CORPUS_PATH

    apply_threads(args.settings.threads)
    request = AverageRequest(
        versions=args.versions,
        data=[Path(p) for p in args.data] if args.data else [CORPUS_PATH],
        registry=args.settings.registry,
        version=args.version,
    )
    try:
        result = run_average(request)
    except ValueError as err:  # fewer than two versions, or versions of different models
        print(f"argstance: error: {err}", file=sys.stderr)
        return 2
    summary = {k: result[k] for k in ("version", "path")}
    summary["test"] = macro_f1_summary(result["metrics"]["test"])
    print(json.dumps(summary, indent=1))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from models.inference import apply_threads
    from training.corpus import CORPUS_PATH
    from training.release import release

    apply_threads(args.settings.threads)
    data = [Path(p) for p in args.data] if args.data else [CORPUS_PATH]
    notes = args.notes.read_text(encoding="utf-8") if args.notes else None
    result = release(args.version, args.settings.registry, data, notes=notes)
    summary = {
        "version": result["version"],
        "path": result["path"],
        "inference": result["inference"]["precision"],
        "test": macro_f1_summary(result["test"]),
    }
    print(json.dumps(summary, indent=1))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import dump, run_bench, server_env, to_table
    from training.corpus import CORPUS_PATH
    from training.formats import load_articles
    from training.train import split_articles

    splits = split_articles(load_articles(CORPUS_PATH))
    annotator = load_annotator(args.settings, args.model)
    env = server_env(args.settings.precision, args.model)
    report = run_bench(
        annotator, splits.test, splits.train, [Path(p) for p in args.file], not args.no_http, env
    )
    print(to_table(report), file=sys.stderr)
    print(dump(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP service and web page with uvicorn until interrupted."""
    import uvicorn

    from service.app import create_app

    settings = args.settings
    host, port = args.host or settings.host, args.port or settings.port
    log = logging.getLogger("service.serve")
    if settings.api_key is None:
        log.info("no ARGSTANCE_API_KEY set: binding %s; train and activate need no key", host)
        if host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("%s is reachable from other machines: anyone there can retrain or swap models", host)
    uvicorn.run(create_app(settings), host=host, port=port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="argstance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="split an article into sentence units with offsets (JSON)")
    seg.add_argument("file", help="text or HTML file, or - for stdin")
    seg.add_argument("--format", choices=["text", "html"], help="input format (default: detect)")
    seg.set_defaults(func=cmd_segment)

    ann = sub.add_parser("annotate", help="label every sentence of articles with role and stance (JSON)")
    ann.add_argument("files", nargs="*", help="text or HTML files, or - for stdin (JSON Lines when several)")
    ann.add_argument(
        "--jsonl", help='read documents {"id", "text", "target"?} one per line; write one result per line'
    )
    ann.add_argument("--target", default=None, help=f"stance target (default: {DEFAULT_TARGET!r})")
    ann.add_argument("--model", help="registry version (default: the active model)")
    ann.add_argument("--format", choices=["text", "html"], help="input format (default: detect)")
    ann.set_defaults(func=cmd_annotate)

    tr = sub.add_parser("train", help="fine-tune on labelled op-eds and register a new model version")
    tr.add_argument(
        "--data", nargs="+", help="labelled files (.jsonl, .csv, Label Studio .json); default: shipped corpus"
    )
    tr.add_argument("--extra-data", nargs="+", default=[], help="auxiliary labelled files, down-weighted")
    tr.add_argument("--extra-weight", type=float, default=0.3, help="loss weight of --extra-data sentences")
    tr.add_argument(
        "--extra-tasks",
        choices=("both", "role", "stance"),
        default="both",
        help="which labels of --extra-data to learn from (the other is masked)",
    )
    tr.add_argument(
        "--from",
        dest="start_from",
        default="base",
        help="'base' (pretrained encoder) or a version to continue",
    )
    tr.add_argument("--epochs", type=int, help="maximum epochs (early stopping on dev macro-F1)")
    tr.add_argument("--seed", type=int)
    tr.add_argument(
        "--context", choices=["gru", "none"], default="gru", help="sentence context (from base only)"
    )
    tr.add_argument(
        "--encoder-layers",
        type=int,
        metavar="N",
        help="keep the encoder's first N layers (of the base, or of the --from version; default: all)",
    )
    tr.add_argument(
        "--teacher",
        nargs="+",
        default=[],
        metavar="VERSION",
        help="distil: also learn the mean predictions of these registry versions (e.g. with --encoder-layers 3)",
    )
    tr.add_argument(
        "--article-head",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="article-level stance head trained on article_stance (from base only; default: on)",
    )
    tr.add_argument("--version", help="name of the new version (default: a timestamp)")
    tr.add_argument(
        "--activate", action="store_true", help="activate if at least as good as the active model"
    )
    tr.set_defaults(func=cmd_train)

    avg = sub.add_parser(
        "average", help="register the mean weights of several versions of one model (a model soup)"
    )
    avg.add_argument(
        "versions", nargs="+", metavar="VERSION", help="registry versions to average (two or more)"
    )
    avg.add_argument("--data", nargs="+", help="gold files whose test split scores it (default: corpus)")
    avg.add_argument("--version", help="name of the new version (default: a timestamp)")
    avg.set_defaults(func=cmd_average)

    rel = sub.add_parser(
        "release", help="make a registry version the shipped default model (fp16, re-scored)"
    )
    rel.add_argument("version", help="registry version to ship")
    rel.add_argument("--data", nargs="+", help="gold files whose test split scores it (default: corpus)")
    rel.add_argument("--notes", type=Path, help="Markdown file appended to the model card as release notes")
    rel.set_defaults(func=cmd_release)

    ev = sub.add_parser("evaluate", help="score a model and baselines on gold JSON Lines files")
    ev.add_argument("--data", nargs="+", required=True, help="gold JSON Lines files")
    ev.add_argument("--model", help="registry version (default: the active model)")
    ev.add_argument("--split", help="only articles whose 'split' field has this value (e.g. test)")
    ev.add_argument("--report", type=Path, help="directory for report.json, report.md and plots")
    ev.add_argument(
        "--baseline-train",
        nargs="+",
        help="training data for the baselines (default: shipped corpus, train split)",
    )
    ev.set_defaults(func=cmd_evaluate)

    be = sub.add_parser(
        "bench", help="measure latency, throughput, HTTP latency, memory and load time (JSON)"
    )
    be.add_argument("--file", nargs="*", default=[], help="more articles to time (e.g. a real op-ed)")
    be.add_argument("--model", help="registry version (default: the active model)")
    be.add_argument("--no-http", action="store_true", help="skip the server figures")
    be.set_defaults(func=cmd_bench)

    srv = sub.add_parser("serve", help="run the HTTP API and the web page (uvicorn)")
    srv.add_argument("--host", help="address to bind (default: ARGSTANCE_HOST, else 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default: ARGSTANCE_PORT, else 8000)")
    srv.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``argstance`` command line; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    args.settings = Settings()
    try:
        return args.func(args)
    except (TextError, DataError, RegistryError, ArtifactError) as err:
        print(f"argstance: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
