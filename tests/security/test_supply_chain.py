"""bin/supply_chain.sh: fails on a high bandit finding or a known vulnerability, and says so
loudly, without failing, when no vulnerability service can be reached.

The vulnerability services are outside the machine: pip-audit is replaced by a stub that
answers as each service would (found, skipped, unreachable); bandit too, except in the last
test, which runs the real one on the code.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_PACKAGES = sum(
    1 for line in (ROOT / "requirements/base.txt").read_text().splitlines() if line[:1].isalnum()
)

PIP_AUDIT_STUB = """#!{python}
import os, sys
service = sys.argv[sys.argv.index("--vulnerability-service") + 1]
answer = os.environ["STUB_" + service.upper()]
if answer == "unreachable":
    sys.stderr.write("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev',"
                     " port=443): Failed to resolve ([Errno -2] Name or service not known)\\n")
    sys.exit(1)
print(answer)
sys.exit(1 if '"vulns": [{{' in answer else 0)
"""


def dependencies(audited: int, skipped: int, vulnerable: bool = False) -> str:
    found = [{"id": "PYSEC-2099-1", "fix_versions": ["9.9.9"]}] if vulnerable else []
    rows = [
        {"name": f"pkg{n}", "version": "1.0", "vulns": found if n == 0 else []}
        for n in range(audited)
    ]
    rows += [
        {
            "name": f"skipped{n}",
            "skip_reason": "Dependency not found on PyPI and could not be audited",
        }
        for n in range(skipped)
    ]
    return json.dumps({"dependencies": rows, "fixes": []})


@pytest.fixture
def run(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip-audit").write_text(PIP_AUDIT_STUB.format(python=sys.executable))
    (bin_dir / "bandit").write_text("#!/bin/sh\nexit ${STUB_BANDIT:-0}\n")
    (bin_dir / "python").symlink_to(sys.executable)
    for stub in ("pip-audit", "bandit"):
        (bin_dir / stub).chmod(0o755)

    def run(**stubs: str) -> subprocess.CompletedProcess:
        env = (
            os.environ | {"BIN": str(bin_dir)} | {f"STUB_{k.upper()}": v for k, v in stubs.items()}
        )
        return subprocess.run(
            ["bash", "bin/supply_chain.sh"], cwd=ROOT, env=env, capture_output=True, text=True
        )

    return run


def test_a_known_vulnerability_fails_the_run(run):
    result = run(pypi=dependencies(audited=3, skipped=0, vulnerable=True), osv="unreachable")
    assert result.returncode == 1
    assert "VULNERABLE pkg0 1.0: PYSEC-2099-1 (fixed in: 9.9.9)" in result.stdout


def test_unreachable_services_say_how_many_packages_went_unaudited_and_do_not_fail(run):
    result = run(pypi=dependencies(audited=0, skipped=BASE_PACKAGES), osv="unreachable")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "base.txt:" in line)
    assert line.startswith(
        f"SUPPLY CHAIN: NOT AUDITED: pip-audit could not audit {BASE_PACKAGES} packages"
    )
    assert "osv did not answer (Name or service not known)" in line
    assert "Dependency not found on PyPI" in line


def test_a_service_that_answers_audits_the_packages(run):
    result = run(pypi="unreachable", osv=dependencies(audited=40, skipped=2))
    assert result.returncode == 0, result.stderr
    assert "40 of 42 packages audited against osv; 2 skipped" in result.stdout
    assert "NOT AUDITED" not in result.stdout


def test_a_high_bandit_finding_fails_the_run(run):
    result = run(bandit="1", pypi=dependencies(audited=1, skipped=0), osv="unreachable")
    assert result.returncode == 1
    assert "bandit found high-severity issues" in result.stderr


def test_bandit_finds_no_high_severity_issue_in_the_code():
    result = subprocess.run(
        [
            Path(sys.executable).parent / "bandit",
            "-c",
            "pyproject.toml",
            "-r",
            ".",
            "-q",
            "--severity-level",
            "high",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)
    assert report["metrics"]["_totals"]["SEVERITY.HIGH"] == 0
    assert not any("/tests/" in name or "migrations" in name for name in report["metrics"])
    assert result.returncode == 0
