#!/usr/bin/env bash
# Login storm: pages measured alone, then again while RATE sign-ins a second (40) arrive
# through the API. Password hashing is bounded (security.max_concurrent_hashes), so the
# storm queues for hashing instead of taking every core from the pages.
#
#   bench/login_storm.sh                    SQLite
#   ENGINE=postgres DURATION=30 bench/login_storm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ENGINE="${ENGINE:-sqlite}"
DURATION="${DURATION:-20}"
RATE="${RATE:-40}"
PORT="${PORT:-8194}"
BASE="http://127.0.0.1:$PORT"
build_release

dir="$(mktemp -d)"
url="$(fresh_db "$ENGINE" "$dir" metro_bench_storm)"
export DATABASE_URL="$url" METRO__DATA_DIR="$dir" METRO_BENCH_PASSWORD="$BENCH_PASSWORD" RUST_LOG=warn
echo "==> $ENGINE: seeding" >&2
"$BIN" seed-bench --opportunities 10000 --events 20000 >/dev/null 2>&1
METRO__SERVER__PORT="$PORT" "$BIN" serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_healthy "$BASE"
tok="$(token "$BASE" person-00060@bench.example)"
page="$BASE/api/v1/opportunities?stage=business_case"

pages() { # label url
  local out
  out="$(wrk -t1 -c4 -d"${DURATION}s" --latency -H "Authorization: Bearer $tok" "$2")"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$2: some answers were not 2xx" >&2
    exit 1
  fi
  printf '| %s | %s | %s | %s |\n' "$1" \
    "$(echo "$out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')" \
    "$(echo "$out" | awk '$1 == "50%" { print $2 }')" \
    "$(echo "$out" | awk '$1 == "99%" { print $2 }')"
}

# A kept answer (the list) and one worked out on every request (an opportunity).
opp="$(sql "$url" "SELECT id FROM opportunities WHERE visibility <> 'draft' ORDER BY id LIMIT 1")"
echo "Login storm: $(nproc) cores, $ENGINE, ${DURATION}s each, $(date -u +%Y-%m-%dT%H:%MZ)"
for page in "$page" "$BASE/api/v1/opportunities/$opp"; do
  echo
  echo "| pages (${page#"$BASE"}) | requests/s | p50 | p99 |"
  echo "|---|---:|---:|---:|"
  pages "alone" "$page"
  # Each connection signs in about four times a second (a 200 ms pause plus the hashing).
  conns=$(( (RATE + 3) / 4 ))
  BENCH_PASSWORD="$BENCH_PASSWORD" SIGNIN_PAUSE_MS=200 \
    wrk -t1 -c"$conns" -d"$((DURATION + 2))s" --latency -s bench/signin.lua "$BASE" >"$dir/storm.txt" 2>&1 &
  storm=$!
  sleep 1
  pages "during the sign-in storm" "$page"
  wait "$storm" || true
done
echo
signins="$(awk '/Requests\/sec/ { printf "%.1f", $2 }' "$dir/storm.txt")"
errors="$(grep -E 'Non-2xx|Socket errors' "$dir/storm.txt" || echo none)"
echo "Sign-ins: $signins a second (p50 $(awk '$1 == "50%" { print $2 }' "$dir/storm.txt"), p99 $(awk '$1 == "99%" { print $2 }' "$dir/storm.txt")); refused or failed: $errors."
