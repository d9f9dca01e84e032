#!/usr/bin/env bash
# The README's first run, as a new user does it: clone the repository into an empty folder
# (nothing beside it, no team folder next to it), run `make run`, wait until the login page answers and
# check that the demo data loaded. Exits non-zero with the log's tail when anything fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${FIRST_RUN_PORT:-8765}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

git clone -q "$repo" "$work/jingxi"
cd "$work/jingxi"
# Nothing beside the clone: the folder holds it alone.
[ "$(ls -A "$work")" = "jingxi" ]
# The clone's own environment: no database, data folder or password from the caller.
setsid env -u DATABASE_URL -u JINGXI_DATA_DIR -u JINGXI_DEMO_PASSWORD \
  make run PORT="$port" >"$work/run.log" 2>&1 &
pid=$!

answered=""
for _ in $(seq 300); do
  if curl -fsS "http://127.0.0.1:$port/admin/login/" -o "$work/login.html" 2>/dev/null; then
    answered=yes
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if [ -z "$answered" ] || ! grep -q 'name="password"' "$work/login.html"; then
  echo "first run: the login page did not answer on port $port" >&2
  tail -n 30 "$work/run.log" >&2
  exit 1
fi
grep -q "purchaser" "$work/run.log" || { echo "first run: no demo logins printed" >&2; tail -n 30 "$work/run.log" >&2; exit 1; }
counts=$(env -u DATABASE_URL .venv/bin/python manage.py shell --no-imports -c \
  "from catalog.models import Category, SKU; from orders.models import SalesOrder; print(Category.objects.count(), SKU.objects.count(), SalesOrder.objects.count())")
read -r categories skus orders <<<"$counts"
if [ "$categories" -ne 1423 ] || [ "$skus" -lt 1000 ] || [ "$orders" -lt 100 ]; then
  echo "first run: the demo did not load (categories $categories, SKUs $skus, orders $orders)" >&2
  exit 1
fi
echo "first run: login page answered; demo has $categories categories, $skus SKUs, $orders orders"
