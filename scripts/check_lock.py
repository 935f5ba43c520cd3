"""Fail when a lock file no longer matches pyproject.toml (regenerate both with `make lock`).

requirements.lock pins what the image runs (the project's dependencies); requirements-dev.lock pins what
`make install` and CI install (with the dev and embedded extras). A lock is stale when a requirement of
pyproject.toml has no pin there, when a pin falls outside the requirement's range, or when the lock still pins a
direct requirement that pyproject.toml dropped.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)")


def pins(lock: Path) -> tuple[dict[str, set[str]], set[str]]:
    """Versions pinned per package, and the packages the lock says pyproject.toml asked for directly."""
    versions: dict[str, set[str]] = {}
    direct: set[str] = set()
    current = ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            current = canonicalize_name(m.group(1))
            versions.setdefault(current, set()).add(m.group(2))
        elif "annostream (pyproject.toml)" in line and current:
            direct.add(current)
    return versions, direct


def problems(lock: Path, requirements: list[str]) -> list[str]:
    """What makes `lock` stale for these requirement strings."""
    versions, direct = pins(lock)
    wanted = {canonicalize_name(Requirement(r).name): Requirement(r) for r in requirements}
    found = []
    for name, req in wanted.items():
        if name == "annostream":
            continue
        have = versions.get(name)
        if not have:
            found.append(f"{lock.name}: {req} has no pin")
        elif bad := [v for v in have if not req.specifier.contains(v, prereleases=True)]:
            found.append(f"{lock.name}: {name}=={bad[0]} is outside {req}")
    found += [f"{lock.name}: pins {name}, which pyproject.toml no longer asks for" for name in direct - set(wanted)]
    return found


def main() -> int:
    """Check both locks; exit 1 with the reasons when one is stale."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = project["dependencies"]
    extras = project["optional-dependencies"]
    dev = base + extras["embedded"] + [r for r in extras["dev"] if not r.startswith("annostream[")]
    found = problems(ROOT / "requirements.lock", base) + problems(ROOT / "requirements-dev.lock", dev)
    for line in found:
        print(f"{line} (run `make lock`)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
