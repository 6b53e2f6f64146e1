#!/usr/bin/env bash
# Soak: a mixed load of pages and API calls held at half of the measured maximum for
# SOAK_MINUTES (10), sampling resident memory every 30 s. Passes when no request failed,
# memory at the end is within 10% of memory after the first minute, and it never reached
# MEMORY_LIMIT_MB (100).
#
#   bench/soak.sh                  SQLite, 10 minutes
#   ENGINE=postgres SOAK_MINUTES=3 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ENGINE="${ENGINE:-sqlite}"
SOAK_MINUTES="${SOAK_MINUTES:-10}"
CONNECTIONS=16
PORT="${PORT:-8196}"
BASE="http://127.0.0.1:$PORT"
build_release

dir="$(mktemp -d)"
url="$(fresh_db "$ENGINE" "$dir" metro_bench_soak)"
export DATABASE_URL="$url" METRO__DATA_DIR="$dir" METRO_BENCH_PASSWORD="$BENCH_PASSWORD" RUST_LOG=warn
echo "==> $ENGINE: seeding" >&2
"$BIN" seed-bench >/dev/null 2>&1
METRO__SERVER__PORT="$PORT" "$BIN" serve >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_healthy "$BASE"

email=person-00060@bench.example
cookie="$(session_cookie "$BASE" "$email" "$dir")"
tok="$(token "$BASE" "$email")"
opp="$(sql "$url" "SELECT id FROM opportunities WHERE visibility <> 'draft' ORDER BY id LIMIT 1")"
export PATHS="/opportunities?q=legal&stage=business_case,/opportunities/$opp,/workspaces/skills,/api/v1/opportunities,/dashboard,/api/v1/opportunities?stage=business_case&page=2"

# The maximum, as fast as it will go.
export PAUSE_MS=0
max="$(wrk -t2 -c"$CONNECTIONS" -d15s -s bench/paced.lua -H "$cookie" -H "Authorization: Bearer $tok" "$BASE" |
  awk '/Requests\/sec/ { printf "%.0f", $2 }')"
# Half of it: each connection waits so that together they make max/2 a second.
read -r held PAUSE_MS < <(pace $(( max / 2 )))
export PAUSE_MS
echo "Soak: $(nproc) cores, $ENGINE, mixed pages and API; maximum $max requests/s; held near half for $SOAK_MINUTES minutes ($held connections, ${PAUSE_MS} ms pause), $(date -u +%Y-%m-%dT%H:%MZ)"
wrk -t2 -c"$held" -d"${SOAK_MINUTES}m" --latency -s bench/paced.lua -H "$cookie" \
  -H "Authorization: Bearer $tok" "$BASE" >"$dir/soak.txt" 2>&1 &
load=$!
echo
echo "| minute | resident memory (MB) |"
echo "|---:|---:|"
samples=()
for s in $(seq 1 $((SOAK_MINUTES * 2))); do
  sleep 30
  rss="$(ps -o rss= -p "$pid" | awk '{ printf "%.0f", $1 / 1024 }')"
  samples+=("$rss")
  printf '| %s | %s |\n' "$(awk -v s="$s" 'BEGIN { printf "%.1f", s / 2 }')" "$rss"
done
wait "$load" || true
echo
rate="$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$dir/soak.txt")"
total="$(awk '/requests in/ { print $1 }' "$dir/soak.txt")"
p50="$(awk '$1 == "50%" { print $2 }' "$dir/soak.txt")"
p99="$(awk '$1 == "99%" { print $2 }' "$dir/soak.txt")"
errors="$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$dir/soak.txt")"
first="${samples[1]}"; last="${samples[-1]}"
echo "$total requests at $rate a second (p50 $p50, p99 $p99); errors: $errors; memory after 1 minute $first MB, at the end $last MB."
ok=1
[ "$errors" = 0 ] || ok=0
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b <= a * 1.10) }' || ok=0
peak="$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)"
echo "highest resident memory: $peak MB (limit ${MEMORY_LIMIT_MB:-100} MB)"
[ "$peak" -lt "${MEMORY_LIMIT_MB:-100}" ] || ok=0
if [ "$ok" = 1 ]; then echo "soak: passed"; else echo "soak: FAILED"; exit 1; fi
