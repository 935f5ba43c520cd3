"""Generate the one Python protos package (`annostream_protos`) from `protos/`.

Runs grpc_tools.protoc into a temp dir, then moves `annostream/<pkg>/v1/*` to
`protos/python/annostream_protos/<pkg>/v1/*` and rewrites the generated absolute imports.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT = PROTO_ROOT / "python" / "annostream_protos"
IMPORT_RE = re.compile(r"^(from|import) annostream(\.| )", re.MULTILINE)


def main() -> int:
    """Regenerate the package; exit non-zero when protoc fails."""
    files = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *files,
        ]
        if protoc.main(args) != 0:
            print("protoc failed", file=sys.stderr)
            return 1
        if OUT.exists():
            shutil.rmtree(OUT)
        shutil.copytree(Path(tmp) / "annostream", OUT)
    for path in OUT.rglob("*"):
        if path.suffix in {".py", ".pyi"}:
            text = IMPORT_RE.sub(lambda m: f"{m.group(1)} annostream_protos{m.group(2)}", path.read_text())
            path.write_text(text)
    for folder in [OUT, *(p for p in OUT.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    (OUT / "py.typed").touch()
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
