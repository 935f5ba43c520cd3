"""`annostream` command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from .components import COMPONENTS


def _up(args: argparse.Namespace) -> int:
    from .stack import LocalStack
    from .supervisor import Supervisor

    stack = LocalStack(
        Path(args.data_dir),
        http_port=args.port,
        http_host=args.host,
        replicas=args.replicas,
        nats_cluster=args.nats_cluster,
    )
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    count, nodes = len(stack.names), f"{stack.nats_cluster} NATS nodes" if stack.nats_cluster > 1 else "NATS"
    print(f"annostream: starting PostgreSQL, {nodes} and {count} processes (data in {stack.data_dir}) ...", flush=True)
    try:
        stack.start()
        print(f"annostream is up: {stack.url}  (Ctrl+C stops everything; logs in {stack.log_dir})", flush=True)
        supervisor = Supervisor(stack, lambda line: print(f"annostream: {line} (log: {stack.log_dir})", flush=True))
        while not stopping:
            supervisor.check()
            time.sleep(0.2)
        return 0
    except RuntimeError as exc:  # including CrashLoop
        print(f"annostream: {exc}", file=sys.stderr)
        return 1
    finally:
        print("annostream: stopping ...", flush=True)
        stack.stop()
        print("annostream: stopped", flush=True)


def _serve(args: argparse.Namespace) -> int:
    from .components import serve

    serve(args.component)
    return 0


def _status(args: argparse.Namespace) -> int:
    from .status import collect, render, targets, topology

    where = targets(Path(args.data_dir))
    statuses = collect(where)
    print(render(statuses, args.json, topology(where)))
    return 0 if all(s.healthy for s in statuses) else 1


def _smoke(args: argparse.Namespace) -> int:
    from .smoke import run_smoke

    return run_smoke(args.url)


def _admin_rebuild(args: argparse.Namespace) -> int:
    from .admin import rebuild_projections

    return rebuild_projections(args.database_url, args.schema)


def _admin_owners(args: argparse.Namespace) -> int:
    from .owners import backfill_owners

    return backfill_owners(args.database_url)


def _admin_migrate(args: argparse.Namespace) -> int:
    from .migrate import run_migrations

    return run_migrations(args.database_url, args.pending)


def _admin_check_frames(args: argparse.Namespace) -> int:
    from .admin import check_frames

    return check_frames(args.database_url, args.schema)


def _import(args: argparse.Namespace) -> int:
    from .importer import ImportArgs
    from .importer import main as import_main

    return import_main(
        ImportArgs(
            args.url,
            args.file,
            args.version,
            args.user,
            args.batch,
            args.validate_only,
            args.team,
            args.format,
            args.media,
        )
    )


def _export(args: argparse.Namespace) -> int:
    from .exporter import ExportArgs
    from .exporter import main as export_main

    a = ExportArgs(args.url, args.out, args.format, args.user, args.version or "", args.task or "", args.team)
    a.filter, a.source_filter, a.labels = args.filter, args.source_filter, args.labels
    return export_main(a)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(prog="annostream", description="Event-sourced frame annotation.")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up", help="start PostgreSQL, NATS and every component locally, restarting any that dies (what `make run` runs)"
    )
    up.add_argument("--data-dir", default=os.environ.get("ANNOSTREAM_DATA_DIR", ".annostream"))
    up.add_argument("--port", type=int, default=int(os.environ.get("ANNOSTREAM_HTTP_PORT", "8080")))
    up.add_argument("--host", default=os.environ.get("ANNOSTREAM_HTTP_HOST", "127.0.0.1"))
    up.add_argument(
        "--nats-cluster",
        type=int,
        choices=range(1, 6),
        default=None,
        metavar="N",
        help="N clustered nats-server nodes, streams at R3 (default $ANNOSTREAM_NATS_CLUSTER or 1)",
    )
    up.add_argument(
        "--replicas",
        type=int,
        choices=range(1, 5),
        default=None,
        metavar="N",
        help="N processes of each service, calls spread over them (default $ANNOSTREAM_REPLICAS or 1)",
    )
    up.set_defaults(func=_up)
    serve = sub.add_parser("serve", help="run one component in the foreground (what containers run)")
    serve.add_argument("component", choices=COMPONENTS)
    serve.set_defaults(func=_serve)
    status = sub.add_parser("status", help="each component's health, relay lag, consumer lags and dead letters")
    status.add_argument("--data-dir", default=os.environ.get("ANNOSTREAM_DATA_DIR", ".annostream"))
    status.add_argument("--json", action="store_true", help='print {"components": [{"name", "healthy", ...}]}')
    status.set_defaults(func=_status)
    smoke = sub.add_parser("smoke", help="drive the vertical slice through a running gateway")
    smoke.add_argument("--url", default=os.environ.get("ANNOSTREAM_URL", "http://127.0.0.1:8080"))
    smoke.set_defaults(func=_smoke)
    imp = sub.add_parser("import", help="import frames (JSON lines, COCO, VOC or YOLO) into a Draft version")
    imp.add_argument("file", help="JSON lines / COCO: the file; VOC / YOLO: the dataset directory")
    imp.add_argument("--format", choices=["jsonl", "coco", "voc", "yolo"], default="jsonl")
    imp.add_argument(
        "--media",
        default=None,
        help="where the images are (URL prefix or directory) when the files do not say; default: the format's"
        " images directory beside the annotations",
    )
    imp.add_argument("--version", required=True, help="id of the Draft version to import into")
    imp.add_argument("--url", default=os.environ.get("ANNOSTREAM_URL", "http://127.0.0.1:8080"))
    imp.add_argument("--user", default=os.environ.get("ANNOSTREAM_USER", "cli"))
    imp.add_argument(
        "--team", default=os.environ.get("ANNOSTREAM_TEAM", ""), help="the team that owns the version (dev mode)"
    )
    imp.add_argument("--batch", type=int, default=2000, help="frames per atomic batch (default 2000)")
    imp.add_argument("--validate-only", action="store_true", help="check every line, write nothing")
    imp.set_defaults(func=_import)
    exp = sub.add_parser("export", help="export a version or a task's frames (COCO, VOC, YOLO, JSON lines)")
    which = exp.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", help="id of the version to export")
    which.add_argument("--task", help="id of the task whose frames (its plan) to export")
    exp.add_argument("--format", required=True, choices=["coco", "voc", "yolo", "yolo-segment", "yolo-pose", "jsonl"])
    exp.add_argument("--out", required=True, help="directory to write into (a zip is unpacked there)")
    exp.add_argument("--filter", default="", help="frame query, e.g. 'meta.city:bremen' (docs/filters.md)")
    exp.add_argument("--source-filter", default="", help="source query, e.g. 'source.id:front'")
    exp.add_argument("--labels", default="", help="only frames with a ROI matching this label expression")
    exp.add_argument("--url", default=os.environ.get("ANNOSTREAM_URL", "http://127.0.0.1:8080"))
    exp.add_argument("--user", default=os.environ.get("ANNOSTREAM_USER", "cli"))
    exp.add_argument("--team", default=os.environ.get("ANNOSTREAM_TEAM", ""))
    exp.set_defaults(func=_export)
    admin = sub.add_parser("admin", help="operator commands").add_subparsers(dest="admin_command", required=True)
    rebuild = admin.add_parser(
        "rebuild-projections", help="replay annotation events into a fresh projection and compare checksums"
    )
    rebuild.add_argument("--database-url", default=None, help="default: $ANNOSTREAM_DATABASE_URL")
    rebuild.add_argument("--schema", default="annotation")
    rebuild.set_defaults(func=_admin_rebuild)
    owners = admin.add_parser(
        "backfill-owners", help="give the annotation and iterator services the owners of data made before teams"
    )
    owners.add_argument("--database-url", default=None, help="default: $ANNOSTREAM_DATABASE_URL")
    owners.set_defaults(func=_admin_owners)
    check = admin.add_parser(
        "check-frames", help="list stored frames over the product limits (older data); exit status 1 if any"
    )
    check.add_argument("--database-url", default=None, help="default: $ANNOSTREAM_DATABASE_URL")
    check.add_argument("--schema", default="annotation")
    check.set_defaults(func=_admin_check_frames)
    mig = admin.add_parser(
        "migrate",
        help="apply every service's pending schema migrations now (before a rollout: a long one outlasts"
        " the pods' startup probe)",
    )
    mig.add_argument("--database-url", default=None, help="default: $ANNOSTREAM_DATABASE_URL")
    mig.add_argument("--pending", action="store_true", help="only list them; exit status 1 if any")
    mig.set_defaults(func=_admin_migrate)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `annostream` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
