#!/usr/bin/env bash
# Fan-out and digest benchmark, in one run per engine: PEOPLE people (5,000) follow one
# workspace; one update there is fanned out to them all by the portal's worker (timed from
# the event's job being written to it finishing); then `metro-portal send-digests` renders
# each person's daily digest and hands it to a loopback SMTP sink (timed end to end).
#
#   bench/notifications.sh                 both engines
#   ENGINES=postgres PEOPLE=2000 bench/notifications.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ENGINES="${ENGINES:-sqlite postgres}"
PEOPLE="${PEOPLE:-5000}"
UPDATES="${UPDATES:-3}"
PORT="${PORT:-8191}"
SMTP_PORT="${SMTP_PORT:-2591}"
BASE="http://127.0.0.1:$PORT"
build_release

fanouts_done() { test "$(sql "$1" "SELECT COUNT(*) FROM jobs WHERE kind = 'fanout' AND status <> 'done'")" = 0; }
seconds_of() { date -u -d "$1 UTC" +%s.%N; }

run_engine() {
  local engine="$1" dir url poster tok pid="" sink="" fanouts=() notified start digest_s mails
  dir="$(mktemp -d)"
  url="$(fresh_db "$engine" "$dir" metro_bench_notify)"
  export DATABASE_URL="$url" METRO__DATA_DIR="$dir" METRO_BENCH_PASSWORD="$BENCH_PASSWORD"
  export METRO__EMAIL__TRANSPORT=smtp METRO__EMAIL__SMTP__HOST=127.0.0.1
  export METRO__EMAIL__SMTP__PORT="$SMTP_PORT" METRO__EMAIL__SMTP__TLS=none
  export METRO__JOBS__SCHEDULE=false RUST_LOG=warn
  echo "==> $engine: seeding $PEOPLE people" >&2
  "$BIN" seed-bench --users "$PEOPLE" --opportunities 200 --events 0 >/dev/null 2>&1

  # Everybody follows Skills, by daily digest, and nothing else.
  poster="$(everyone_follows "$url" skills daily)"

  METRO__SERVER__PORT="$PORT" "$BIN" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  wait_healthy "$BASE"
  tok="$(token "$BASE" "$poster")"

  echo "==> $engine: $UPDATES update(s), each fanned out to every follower" >&2
  for n in $(seq 1 "$UPDATES"); do
    curl -sf -o /dev/null -H "Authorization: Bearer $tok" -H 'content-type: application/json' \
      -d "{\"title\":\"Benchmark update $n\",\"body\":\"Fan-out benchmark.\"}" "$BASE/api/v1/workspaces/skills/posts"
    wait_until 120 fanouts_done "$url"
    local row created finished
    row="$(sql "$url" "SELECT created_at, finished_at FROM jobs WHERE kind = 'fanout' ORDER BY id DESC LIMIT 1")"
    created="$(seconds_of "${row%%|*}")"; finished="$(seconds_of "${row##*|}")"
    fanouts+=("$(awk -v a="$created" -v b="$finished" 'BEGIN { printf "%.3f", b - a }')")
  done
  notified="$(sql "$url" "SELECT COUNT(*) FROM notifications WHERE event_id = (SELECT MAX(id) FROM events)")"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  echo "==> $engine: daily digests to the SMTP sink" >&2
  python3 bench/smtp_sink.py "$SMTP_PORT" "$dir/sink" &
  sink=$!
  trap 'kill $pid $sink 2>/dev/null || true' EXIT
  sleep 0.5
  start="$(now_s)"
  "$BIN" send-digests --frequency daily >"$dir/digests.log" 2>&1
  digest_s="$(elapsed "$start")"
  mails="$(find "$dir/sink" -name '*.eml' | wc -l)"
  kill "$sink"; trap - EXIT

  echo
  echo "### $engine"
  echo
  echo "| step | figure |"
  echo "|---|---:|"
  echo "| followers of the workspace | $((PEOPLE)) |"
  echo "| fan-out of one update (job written → job done), each run | ${fanouts[*]} s |"
  echo "| notifications written for the last update | $notified |"
  echo "| daily digests rendered and handed to the SMTP sink | $mails in $digest_s s |"
}

echo "Notification benchmark: $(nproc) cores, release build, $(date -u +%Y-%m-%dT%H:%MZ)"
for engine in $ENGINES; do
  run_engine "$engine"
done
