#!/usr/bin/env bash
# Supply chain checks (make audit, CI): bandit on the code, pip-audit on the locked requirements.
#
# Fails on a high-severity bandit finding and on a known vulnerability in a locked package.
# A vulnerability service that cannot be reached does not fail the run (CI machines may have no
# route to it): one loud line says how many packages went unaudited, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
status=0

echo "== bandit (fails on high severity; [tool.bandit] in pyproject.toml)"
if ! "$BIN/bandit" -c pyproject.toml -r . -q --severity-level high; then
  echo "SUPPLY CHAIN: bandit found high-severity issues (above); fix them, or mark a false" \
       "positive's line '# nosec BXXX' with the reason." >&2
  status=1
fi

# pip-audit reports a package it could not look up as skipped and still exits 0 with "No known
# vulnerabilities found": read its JSON to tell audited packages from skipped ones.
audit() {
  local requirements=$1 service=$2 out err
  out=$(mktemp) err=$(mktemp)
  timeout 300 "$BIN/pip-audit" --vulnerability-service "$service" --timeout 10 \
    --require-hashes --disable-pip -r "$requirements" --format json --progress-spinner off \
    >"$out" 2>"$err" || true
  "$BIN/python" - "$out" "$err" "$requirements" "$service" <<'PY'
import json
import sys
from pathlib import Path

out, err, requirements, service = sys.argv[1:]
try:
    report = json.loads(Path(out).read_text() or "null")["dependencies"]
except (TypeError, ValueError, KeyError):
    lines = [line for line in Path(err).read_text().splitlines() if line.strip()]
    last = lines[-1] if lines else "no answer"
    causes = ("Name or service not known", "timed out", "Connection refused", "Network is unreachable")
    cause = next((c for c in causes if c in last), last.split(":", 1)[0][:120])
    print(f"unreachable|{service} did not answer ({cause})")
    sys.exit()
vulnerable = [d for d in report if d.get("vulns")]
skipped = [d for d in report if "skip_reason" in d]
for dependency in vulnerable:
    ids = ", ".join(v["id"] for v in dependency["vulns"])
    fixes = ", ".join(sorted({f for v in dependency["vulns"] for f in v.get("fix_versions", [])}))
    print(f"vuln|{dependency['name']} {dependency['version']}: {ids} (fixed in: {fixes or '-'})")
reason = skipped[0]["skip_reason"] if skipped else ""
print(f"summary|{len(report)}|{len(skipped)}|{reason}")
PY
  rm -f "$out" "$err"
}

for requirements in requirements/base.txt requirements/dev.txt; do
  echo "== pip-audit $requirements"
  total=$(grep -cE '^[A-Za-z0-9]' "$requirements")
  audited=no why=""
  for service in pypi osv; do
    result=$(audit "$requirements" "$service")
    if grep -q '^unreachable|' <<<"$result"; then
      why="${why:+$why; }${result#unreachable|}"
      continue
    fi
    IFS='|' read -r _ count skipped reason < <(grep '^summary|' <<<"$result")
    if grep -q '^vuln|' <<<"$result"; then
      grep '^vuln|' <<<"$result" | sed 's/^vuln|/  VULNERABLE /'
      echo "SUPPLY CHAIN: known vulnerabilities in $requirements (above): upgrade and make lock." >&2
      status=1
    fi
    if [ "$skipped" -lt "$count" ]; then
      audited=yes
      echo "  $((count - skipped)) of $count packages audited against $service; $skipped skipped${reason:+ ($reason)}"
      break
    fi
    why="${why:+$why; }$service looked up none of them (\"$reason\")"
  done
  if [ "$audited" = no ]; then
    echo "SUPPLY CHAIN: NOT AUDITED: pip-audit could not audit $total packages of $requirements:" \
         "no vulnerability service answered: $why. Run 'make audit' where PyPI's JSON API or OSV answers."
  fi
done
exit $status
