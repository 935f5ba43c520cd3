"""The web UI's API types, generated from the gateway's OpenAPI document (no server needed).

The spec is built by the app factory (what /openapi.json serves) and turned into TypeScript by openapi-typescript
(a devDependency of web/). `make web` runs this; `--check` only compares and exits 1 when the committed file is
stale (tests/e2e/test_http_contract.py runs that)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from annostream_gateway.app import create_app

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
OUT = WEB / "src" / "generated" / "openapi.ts"


def spec() -> dict[str, object]:
    """The OpenAPI document of the gateway."""
    return create_app().openapi()


def typescript() -> str:
    """The TypeScript types openapi-typescript generates for the current spec."""
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "openapi.json", Path(d) / "openapi.ts"
        src.write_text(json.dumps(spec(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        cmd = [str(WEB / "node_modules" / ".bin" / "openapi-typescript"), str(src), "-o", str(out)]
        # Request fields with a default stay optional for a client (openapi-typescript would make them required).
        subprocess.run([*cmd, "--default-non-nullable=false"], check=True, cwd=WEB, capture_output=True)
        return out.read_text(encoding="utf-8")


def main() -> int:
    """Write the types when they changed (or, with --check, report a stale file and exit 1)."""
    fresh = typescript()
    current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    if fresh == current:
        return 0
    if "--check" in sys.argv[1:]:
        print(f"{OUT.relative_to(ROOT)} is stale: the gateway's OpenAPI changed; run `make web` and commit it")
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(fresh, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
