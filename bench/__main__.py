"""`python -m bench [name ...]`: run every `bench/bench_<name>.py` (or the named ones) on fresh servers."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys
import tempfile
from pathlib import Path

import uvloop

from .harness import format_result, servers, write_results

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    """Run the benches; print the table; write bench/results/latest.json."""
    names = sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = set(chosen) - set(names)
    if unknown:
        print(f"unknown bench(es): {sorted(unknown)}; available: {names}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="annostream-bench-") as tmp, servers(Path(tmp)) as ctx:
        for name in chosen:
            print(f"== bench {name}", flush=True)
            module = importlib.import_module(f"bench.bench_{name}")
            gc.collect()
            gc.freeze()  # the client's own GC pauses are not what a bench measures (the services do the same)
            uvloop.run(module.run(ctx))  # the loop the components run on, for client and baselines alike
    print("\n== summary")
    for r in ctx.results:
        print(format_result(r))
    write_results(ctx.results, HERE / "results" / "latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
