"""The command line of scripts/deploy_k8s.py: render, compare, lint and monitoring (usage in the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from . import __doc__ as USAGE
from .kustomize import build, compare, render
from .lint import lint
from .monitoring import check_dashboard, check_pod_monitors, check_rules, exported_metrics
from .objects import WORKLOAD_KINDS, DeployError


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
    monitoring_cmd = commands.add_parser("monitoring", help="metric names of rules and dashboards, PodMonitor ports")
    monitoring_cmd.add_argument("overlay", type=Path, help="the monitoring kustomization (k8s/monitoring)")
    monitoring_cmd.add_argument("--workloads", type=Path, required=True, help="an overlay with the workloads")
    monitoring_cmd.add_argument("--dashboard", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    try:
        if args.command == "monitoring":
            problems = _monitoring(args.overlay, args.workloads, args.dashboard)
            for problem in problems:
                print(f"{args.overlay}: {problem}", file=sys.stderr)
            if not problems:
                print(f"monitoring {args.overlay}: ok")
            return 1 if problems else 0
        if args.command == "render":
            manifests, custom = render(args.overlay, args.out)
            print(f"rendered {args.overlay} -> {manifests} and {len(custom)} custom resource file(s)")
            return 0
        problems = compare(args.overlay, args.kubectl_output) if args.command == "compare" else []
        if args.command == "lint":
            problems = lint(build(args.overlay))
    except (DeployError, OSError, yaml.YAMLError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"{args.overlay}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.command} {args.overlay}: ok")
    return 1 if problems else 0


def _monitoring(overlay: Path, workloads_overlay: Path, dashboards: list[Path]) -> list[str]:
    objects = build(overlay)
    rules = [o for o in objects if o["kind"] == "PrometheusRule"]
    monitors = [o for o in objects if o["kind"] == "PodMonitor"]
    workloads = [o for o in build(workloads_overlay) if o["kind"] in WORKLOAD_KINDS]
    known = exported_metrics()
    problems = check_rules(rules, known) + check_pod_monitors(monitors, workloads)
    for dashboard in dashboards:
        problems += check_dashboard(dashboard, known, rules)
    return problems
