"""Evaluation reports: one JSON file, a readable Markdown page, and confusion-matrix plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: reports are written on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402

TASKS = ("role", "stance")


def write_report(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write report.json, report.md and one PNG per task and mode; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "report.json", directory / "report.md"]
    written[0].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for mode in ("units", "end_to_end"):
        for task in TASKS:
            confusion = report["model"].get(mode, {}).get(task, {}).get("confusion")
            if confusion:
                path = directory / f"confusion_{mode}_{task}.png"
                plot_confusion(confusion, f"{task} ({mode.replace('_', '-')})", path)
                written.append(path)
    written[1].write_text(to_markdown(report), encoding="utf-8")
    return written


def plot_confusion(confusion: dict[str, Any], title: str, path: Path) -> None:
    labels, matrix = confusion["labels"], confusion["matrix"]
    fig, ax = plt.subplots(figsize=(4.2, 3.6), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(
                j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black"
            )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def to_markdown(report: dict[str, Any]) -> str:
    """A page a person can read: headline table, per-class scores, per-target breakdown."""
    inference = f" ({report['inference_path']})" if "inference_path" in report else ""
    lines = [f"# Evaluation of {report['model_name']} {report['model_version']}{inference}", ""]
    lines += [
        f"Data: {', '.join(report['data'])} ({report['n_articles']} articles, {report['n_sentences']} sentences)",
        "",
    ]
    lines += [
        "| system | mode | role macro-F1 | stance macro-F1 | stance F_avg | role acc | stance acc |",
        "|---|---|---|---|---|---|---|",
    ]
    for system in ("model", *report.get("baselines", {})):
        result = report["model"] if system == "model" else report["baselines"][system]
        for mode in ("units", "end_to_end"):
            if mode in result:
                r, s = result[mode]["role"], result[mode]["stance"]
                lines.append(
                    f"| {system} | {mode} | {r.get('macro_f1', 0):.3f} | {s.get('macro_f1', 0):.3f} | "
                    f"{s.get('f_avg', 0):.3f} | {r.get('accuracy', 0):.3f} | {s.get('accuracy', 0):.3f} |"
                )
    if "segmentation" in report:
        seg = report["segmentation"]
        lines += [
            "",
            f"Segmentation unit F1 {seg['f1']:.4f} (P {seg['precision']:.4f}, R {seg['recall']:.4f}; {seg['gold_units']} gold units).",
        ]
    model = report["model"]
    for mode in ("units", "end_to_end"):
        if mode not in model:
            continue
        for task in TASKS:
            m = model[mode][task]
            lines += ["", f"## {task}, {mode.replace('_', '-')} (ECE {m.get('ece', float('nan')):.3f})", ""]
            lines += ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            lines += [
                f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
                for label, c in m["per_class"].items()
            ]
            lines += ["", f"![confusion](confusion_{mode}_{task}.png)"]
    lines += [
        "",
        "## Per target (units)",
        "",
        "| target | sentences | role macro-F1 | stance macro-F1 |",
        "|---|---|---|---|",
    ]
    for target, m in model.get("per_target_units", {}).items():
        lines.append(
            f"| {target} | {m['role'].get('n', 0)} | {m['role'].get('macro_f1', 0):.3f} | {m['stance'].get('macro_f1', 0):.3f} |"
        )
    if "article_stance" in model:
        a = model["article_stance"]
        lines += [
            "",
            f"Article-level stance: accuracy {a['accuracy']:.3f}, macro-F1 {a['macro_f1']:.3f} over {a['n']} articles.",
        ]
    return "\n".join(lines) + "\n"
