#!/usr/bin/env bash
# Load benchmark, in one run: seeds the large data set (metro-portal seed-bench), serves it
# from a release build on loopback, and measures each page with wrk as a ratio to a static
# handler, on SQLite and then on PostgreSQL. Prints a Markdown table per engine.
#
#   bench/run.sh                      both engines
#   ENGINES=sqlite bench/run.sh       one engine
#   DURATION=20s CONNECTIONS=32 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/lib.sh

ENGINES="${ENGINES:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-8190}"
PASSWORD="$BENCH_PASSWORD"
USER_EMAIL="person-00060@bench.example"   # a council leader in the seeded set
BASE="http://127.0.0.1:$PORT"

build_release

# wrk's latency figures in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}

measure() { # label url [header]: the maximum, then p99 held at half of it
  local out rps p50 p99 half pause path conns
  local headers=()
  [ -n "${3:-}" ] && headers=(-H "$3")
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${headers[@]}" "$2")"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$1: some answers were not 2xx" >&2
    echo "$out" >&2
    exit 1
  fi
  rps="$(echo "$out" | awk '/Requests\/sec/ { print $2 }')"
  p50="$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")"
  p99="$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")"
  # Half of the maximum, held by pacing (see pace in bench/lib.sh).
  read -r conns pause < <(pace "$(awk -v r="$rps" 'BEGIN { printf "%d", r / 2 }')")
  path="/${2#http://*/}"
  out="$(PATHS="$path" PAUSE_MS="$pause" wrk -t2 -c"$conns" -d"$DURATION" --latency -s bench/paced.lua "${headers[@]}" "$BASE")"
  half="$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")"
  echo "$1|$rps|$p50|$p99|$half|$(echo "$out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')"
}

run_engine() {
  local engine="$1" url dir pid cookie token opp
  dir="$(mktemp -d)"
  url="$(fresh_db "$engine" "$dir" metro_bench)"
  echo "==> $engine: seeding" >&2
  DATABASE_URL="$url" METRO__DATA_DIR="$dir" METRO_BENCH_PASSWORD="$PASSWORD" "$BIN" seed-bench >&2
  DATABASE_URL="$url" METRO__DATA_DIR="$dir" METRO__SERVER__PORT="$PORT" RUST_LOG=warn \
    "$BIN" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done

  cookie="$(session_cookie "$BASE" "$USER_EMAIL" "$dir")"
  token="$(curl -s -H 'content-type: application/json' \
    -d "{\"email\":\"$USER_EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/token" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
  opp="$(curl -s -H "Authorization: Bearer $token" "$BASE/api/v1/opportunities?per_page=1&stage=business_case" |
    sed -n 's/^{"items":\[{"id":\([0-9]*\).*/\1/p')"

  echo "==> $engine: measuring ($DURATION each, $CONNECTIONS connections)" >&2
  local rows=()
  rows+=("$(measure "static handler (baseline)" "$BASE/assets/favicon.svg")")
  rows+=("$(measure "register: search and filter" "$BASE/opportunities?q=legal&stage=business_case" "$cookie")")
  rows+=("$(measure "an opportunity" "$BASE/opportunities/$opp" "$cookie")")
  rows+=("$(measure "dashboard" "$BASE/dashboard" "$cookie")")
  rows+=("$(measure "a workspace" "$BASE/workspaces/skills" "$cookie")")
  rows+=("$(measure "JSON opportunity list" "$BASE/api/v1/opportunities" "Authorization: Bearer $token")")
  local rss
  rss="$(ps -o rss= -p "$pid" | awk '{ printf "%.0f", $1 / 1024 }')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT

  local base
  base="$(echo "${rows[0]}" | cut -d'|' -f2)"
  echo
  echo "### $engine"
  echo
  echo "| endpoint | requests/s | ratio to baseline | p50 ms | p99 ms | p99 ms at half (requests/s) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    IFS='|' read -r label rps p50 p99 half half_rps <<<"$row"
    printf '| %s | %.0f | %.3f | %s | %s | %s (%s) |\n' "$label" "$rps" "$(awk -v a="$rps" -v b="$base" 'BEGIN { print a / b }')" "$p50" "$p99" "$half" "$half_rps"
  done
  echo
  echo "Resident memory after the run: $rss MB."
}

echo "Load benchmark: $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION, release build, $(date -u +%Y-%m-%dT%H:%MZ)"
for engine in $ENGINES; do
  run_engine "$engine"
done
