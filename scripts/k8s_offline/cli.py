"""The command line of scripts/deploy_k8s.py: render, compare and lint (usage in the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from . import __doc__ as USAGE
from .kustomize import build, compare, render
from .lint import lint
from .objects import DeployError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="build an overlay into a directory")
    render_cmd.add_argument("overlay", type=Path)
    render_cmd.add_argument("--out", type=Path, required=True)
    compare_cmd = commands.add_parser("compare", help="compare with the output of kubectl kustomize")
    compare_cmd.add_argument("overlay", type=Path)
    compare_cmd.add_argument("kubectl_output", type=Path)
    lint_cmd = commands.add_parser("lint", help="cross-reference checks of a built overlay")
    lint_cmd.add_argument("overlay", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            manifests, custom = render(args.overlay, args.out)
            print(f"rendered {args.overlay} -> {manifests} and {len(custom)} custom resource file(s)")
            return 0
        problems = compare(args.overlay, args.kubectl_output) if args.command == "compare" else []
        if args.command == "lint":
            problems = lint(build(args.overlay))
    except (DeployError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"{args.overlay}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.command} {args.overlay}: ok")
    return 1 if problems else 0
