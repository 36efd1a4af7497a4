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

from models.text import TextError, decode, prepare, segment


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="argstance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="split an article into sentence units with offsets (JSON)")
    seg.add_argument("file", help="text or HTML file, or - for stdin")
    seg.add_argument("--format", choices=["text", "html"], help="input format (default: detect)")
    seg.set_defaults(func=cmd_segment)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``argstance`` command line; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except TextError as err:
        print(f"argstance: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
