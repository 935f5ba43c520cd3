"""Known vulnerabilities of the locked dependencies: pip-audit on requirements.lock, npm audit of the web UI.

Fails on a Python vulnerability that has a fixed release (PyPI's feed carries no severity) and on an npm advisory
of high or critical severity; prints the rest. When the advisory services cannot be reached (a closed network:
PyPI's JSON API or npm's bulk advisory endpoint refused), it says so and what it could not audit, and does not fail:
the audit is a report, the lock is what makes builds repeatable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def python_audit() -> int:
    """Audit requirements.lock; the number of failing findings."""
    out = subprocess.run(
        [
            BIN / "pip-audit",
            "-r",
            ROOT / "requirements.lock",
            "--no-deps",
            "--disable-pip",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        deps = json.loads(out.stdout)["dependencies"]
    except (ValueError, KeyError):
        print(f"pip-audit: no report ({out.stderr.strip()[-300:]})")
        return 0
    skipped = [d["name"] for d in deps if "skip_reason" in d]
    if len(skipped) == len(deps):
        print(f"pip-audit: advisory service unreachable, {len(deps)} locked packages NOT audited")
        return 0
    failing = 0
    for dep in deps:
        for vuln in dep.get("vulns", []):
            fixed = vuln.get("fix_versions") or []
            failing += bool(fixed)
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(fixed) or 'nothing'})")
    print(f"pip-audit: {len(deps) - len(skipped)} packages audited, {len(skipped)} skipped, {failing} failing")
    return failing


def npm_audit() -> int:
    """Audit the web UI's runtime packages; the number of high or critical advisories."""
    out = subprocess.run(
        ["npm", "audit", "--omit=dev", "--json"], cwd=ROOT / "web", capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(out.stdout)
    except ValueError:
        print(f"npm audit: no report ({out.stderr.strip()[-300:]})")
        return 0
    if "metadata" not in report:
        print(f"npm audit: advisory service unreachable ({report.get('message', 'no metadata')}): NOT audited")
        return 0
    counts = report["metadata"]["vulnerabilities"]
    print(f"npm audit: {counts}")
    return int(counts.get("high", 0)) + int(counts.get("critical", 0))


def main() -> int:
    """Run both audits; exit 1 on a failing finding."""
    return 1 if python_audit() + npm_audit() else 0


if __name__ == "__main__":
    sys.exit(main())
