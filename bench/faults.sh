#!/usr/bin/env bash
# Fault suite: scripted, repeatable, loopback only, each scenario bounded in time. Needs a
# release build, sqlite3, psql and python3; the PostgreSQL scenarios restart the local
# cluster, so run it on a machine where nothing else is using PostgreSQL.
#
#   bench/faults.sh                         every scenario
#   bench/faults.sh import-kill smtp-down   some of them
#
# Scenarios:
#   import-kill     kill -9 during a 5,000-row import → nothing written; the rerun writes all
#   fanout-kill     kill -9 while updates fan out and mail goes → after restart every
#                   follower is notified once and mailed once
#   smtp-down       mail server down 60 s (SMTP_DOWN) under page load → all delivered after,
#                   none twice, every page answered
#   pg-restart      PostgreSQL restarted while serving → 503s, then answers again without
#                   restarting the portal
#   two-instances   two portals on one PostgreSQL, both running workers → nothing twice
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SCENARIOS="${*:-import-kill fanout-kill smtp-down pg-restart two-instances}"
ENGINES="${ENGINES:-sqlite postgres}"
PEOPLE="${PEOPLE:-1000}"
SMTP_DOWN="${SMTP_DOWN:-60}"
PORT=8192
PORT2=8193
SMTP_PORT=2592
BASE="http://127.0.0.1:$PORT"
build_release

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; PIDS=(); }
trap cleanup EXIT
FAILED=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; FAILED=1; }
check() { # description, then a test expression's words
  local what="$1"; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# setup ENGINE: a seeded database in $DIR/$URL where every active person follows Skills
# with mail at once; sets POSTER (an author in Skills) and FOLLOWERS.
setup() {
  ENGINE="$1"
  DIR="$(mktemp -d)"
  URL="$(fresh_db "$1" "$DIR" metro_faults)"
  export DATABASE_URL="$URL" METRO__DATA_DIR="$DIR" METRO_BENCH_PASSWORD="$BENCH_PASSWORD"
  export METRO__EMAIL__TRANSPORT=smtp METRO__EMAIL__SMTP__HOST=127.0.0.1
  export METRO__EMAIL__SMTP__PORT="$SMTP_PORT" METRO__EMAIL__SMTP__TLS=none
  export METRO__JOBS__SCHEDULE=false METRO__JOBS__RETRY_BASE_SECONDS=2
  export METRO__JOBS__POLL_INTERVAL_MS=100 RUST_LOG=warn
  "$BIN" seed-bench --users "$PEOPLE" --opportunities 300 --events 0 >/dev/null 2>&1
  POSTER="$(everyone_follows "$URL" skills immediate)"
  FOLLOWERS="$(sql "$URL" "SELECT COUNT(*) FROM users WHERE status = 'active'")"
}

serve() { # port: starts a portal in the background, sets SERVED
  METRO__SERVER__PORT="$1" "$BIN" serve >>"$DIR/serve-$1.log" 2>&1 &
  SERVED=$!
  PIDS+=("$SERVED")
  wait_healthy "http://127.0.0.1:$1"
}

sink_up() { python3 bench/smtp_sink.py "$SMTP_PORT" "$DIR/sink" & SINK=$!; PIDS+=("$SINK"); sleep 0.3; }
sink_down() { kill "$SINK" 2>/dev/null || true; wait "$SINK" 2>/dev/null || true; }

post_updates() { # base, count, label
  local tok n
  tok="$(token "$1" "$POSTER")"
  for n in $(seq 1 "$2"); do
    curl -sf -o /dev/null -H "Authorization: Bearer $tok" -H 'content-type: application/json' \
      -d "{\"title\":\"$3 update $n\",\"body\":\"Fault suite.\"}" "$1/api/v1/workspaces/skills/posts"
  done
}

queue_idle() { test "$(sql "$URL" "SELECT COUNT(*) FROM jobs WHERE status = 'pending'")" = 0; }

# mail_report LABEL UPDATES: every follower but the author notified once per update, and
# mailed once: no (recipient, subject) pair with two Message-IDs.
mail_report() {
  local label="$1" updates="$2" expected notified failed
  expected=$(((FOLLOWERS - 1) * updates))
  notified="$(sql "$URL" "SELECT COUNT(*) FROM notifications n JOIN events e ON e.id = n.event_id
    WHERE e.payload LIKE '%$label update %'")"
  failed="$(sql "$URL" "SELECT COUNT(*) FROM jobs WHERE status = 'failed'")"
  python3 - "$DIR/sink" "$label" "$expected" <<'PY' > "$DIR/mail-report"
import email, glob, sys
from collections import defaultdict
ids = defaultdict(set); raw = 0
for path in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(path, "rb"))
    subject = str(email.header.make_header(email.header.decode_header(m["Subject"] or "")))
    if sys.argv[2] not in subject:
        continue
    raw += 1
    ids[(m["To"], subject)].add(m["Message-ID"])
twice = sum(1 for v in ids.values() if len(v) > 1)
print(len(ids), raw, twice)
PY
  read -r pairs raw twice <"$DIR/mail-report"
  label="$ENGINE $label"
  check "$label: $notified of $expected notifications written" test "$notified" = "$expected"
  check "$label: $pairs of $expected (recipient, update) mails delivered" test "$pairs" = "$expected"
  check "$label: no mail sent twice under two Message-IDs ($twice)" test "$twice" = 0
  echo "      ($raw messages received in all; $((raw - pairs)) repeated with the same Message-ID)"
  check "$label: no job failed for good ($failed)" test "$failed" = 0
}

# import_writing ENGINE WAL_SIZE_BEFORE: the import's transaction has written something.
import_writing() {
  if [ "$1" = sqlite ]; then
    test "$(stat -c %s "$URL-wal" 2>/dev/null || echo 0)" -gt "$(($2 + 65536))"
  else
    test "$(sql "$URL" "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'metro_faults'
      AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")" -gt 0
  fi
}

import_kill() {
  local engine="$1" csv before after pid events_before
  setup "$engine"
  csv="$DIR/import.csv"
  python3 - "$csv" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["title", "summary", "service_area", "type", "stage"])
    for n in range(5000):
        w.writerow([f"Fault import {n}", "Shared legal services across the Metro.", "legal", "joint_procurement", "idea"])
PY
  before="$(sql "$URL" "SELECT COUNT(*) FROM opportunities")"
  events_before="$(sql "$URL" "SELECT COUNT(*) FROM events")"
  local org
  org="$(sql "$URL" "SELECT o.slug FROM organisations o JOIN users u ON u.organisation_id = o.id WHERE u.email = '$POSTER'")"
  local wal_before=0
  [ "$engine" = sqlite ] && wal_before="$(stat -c %s "$URL-wal" 2>/dev/null || echo 0)"
  "$BIN" import "$csv" --org "$org" >"$DIR/import.log" 2>&1 &
  pid=$!
  # Killed once it has begun writing: its transaction holds written rows, not yet committed.
  wait_until 60 import_writing "$engine" "$wal_before" || true
  sleep 0.2
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    pass "$engine import-kill: the import was killed while writing"
  else
    fail "$engine import-kill: the import ended before the kill"
  fi
  after="$(sql "$URL" "SELECT COUNT(*) FROM opportunities")"
  check "$engine import-kill: nothing half-written ($before before, $after after)" test "$before" = "$after"
  check "$engine import-kill: no stray events" test "$(sql "$URL" "SELECT COUNT(*) FROM events")" = "$events_before"
  "$BIN" import "$csv" --org "$org" >"$DIR/import2.log" 2>&1
  after="$(sql "$URL" "SELECT COUNT(*) FROM opportunities")"
  check "$engine import-kill: the rerun writes all 5,000 ($before → $after)" test "$after" = $((before + 5000))
  cleanup
}

fanout_kill() {
  local engine="$1"
  setup "$engine"
  sink_up
  serve "$PORT"
  post_updates "$BASE" 5 "Crash"
  sleep "${FANOUT_KILL_AFTER:-0.5}"
  local pending
  pending="$(sql "$URL" "SELECT COUNT(*) FROM jobs WHERE status = 'pending'")"
  kill -9 "$SERVED"; wait "$SERVED" 2>/dev/null || true
  if [ "$pending" -gt 0 ]; then pass "$engine fanout-kill: killed with $pending jobs waiting"; else fail "$engine fanout-kill: the queue was empty before the kill"; fi
  serve "$PORT"
  wait_until 300 queue_idle || true
  mail_report "Crash" 5
  cleanup
}

smtp_down() {
  local engine="$1" load
  setup "$engine"
  serve "$PORT"
  local tok
  tok="$(token "$BASE" "$POSTER")"
  # Page load for the whole outage and recovery.
  wrk -t1 -c4 -d$((SMTP_DOWN + 40))s -H "Authorization: Bearer $tok" "$BASE/api/v1/workspaces/skills" >"$DIR/wrk.txt" 2>&1 &
  load=$!
  PIDS+=("$load")
  post_updates "$BASE" 3 "Outage"
  sleep "$SMTP_DOWN"
  local waiting
  waiting="$(sql "$URL" "SELECT COUNT(*) FROM jobs WHERE kind = 'notify' AND status = 'pending' AND attempts > 0")"
  check "$engine smtp-down: mail waited for the server ($waiting sends retried)" test "$waiting" -gt 0
  sink_up
  wait_until 300 queue_idle || true
  wait "$load" 2>/dev/null || true
  mail_report "Outage" 3
  local errors
  errors="$(grep -c -E 'Non-2xx|Socket errors' "$DIR/wrk.txt" || true)"
  check "$engine smtp-down: every page answered 2xx under load" test "$errors" = 0
  grep -E 'Requests/sec' "$DIR/wrk.txt" | sed 's/^/      page load: /'
  cleanup
}

pg_restart() {
  setup postgres
  serve "$PORT"
  local tok version codes
  tok="$(token "$BASE" "$POSTER")"
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  codes="$DIR/codes"
  ( end=$(( $(date +%s) + 25 ))
    while [ "$(date +%s)" -lt "$end" ]; do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 10 \
        -H "Authorization: Bearer $tok" "$BASE/api/v1/opportunities?per_page=5" >>"$codes" || echo "000 0" >>"$codes"
      sleep 0.05
    done ) &
  local poller=$!
  sleep 4
  pg_ctlcluster --skip-systemctl-redirect "$version" main stop -m fast
  sleep 5
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait "$poller"
  local total ok unavailable other slow tail_ok
  total="$(wc -l <"$codes")"
  ok="$(grep -c '^200 ' "$codes" || true)"
  unavailable="$(grep -c '^503 ' "$codes" || true)"
  other=$((total - ok - unavailable))
  slow="$(awk '$2 > 6 { n++ } END { print n + 0 }' "$codes")"
  tail_ok="$(tail -20 "$codes" | grep -c '^200 ' || true)"
  echo "      $total requests: $ok × 200, $unavailable × 503, $other other; $slow slower than 6 s"
  check "pg-restart: the outage answered 503" test "$unavailable" -gt 0
  check "pg-restart: nothing but 200 and 503" test "$other" = 0
  check "pg-restart: no request hung" test "$slow" = 0
  check "pg-restart: answering again without a restart (last 20 all 200)" test "$tail_ok" = 20
  local body
  body="$(curl -s -H "Authorization: Bearer $tok" "$BASE/healthz")"
  check "pg-restart: healthz is ok again ($body)" grep -q ok <<<"$body"
  cleanup
}

two_instances() {
  setup postgres
  sink_up
  serve "$PORT"
  serve "$PORT2"
  post_updates "$BASE" 3 "Pair A"
  post_updates "http://127.0.0.1:$PORT2" 3 "Pair B"
  wait_until 300 queue_idle || true
  mail_report "Pair A" 3
  mail_report "Pair B" 3
  cleanup
}

echo "Fault suite: $(date -u +%Y-%m-%dT%H:%MZ), $PEOPLE people following one workspace"
for scenario in $SCENARIOS; do
  echo
  echo "== $scenario"
  case "$scenario" in
    import-kill) for e in $ENGINES; do import_kill "$e"; done ;;
    fanout-kill) for e in $ENGINES; do fanout_kill "$e"; done ;;
    smtp-down) for e in $ENGINES; do smtp_down "$e"; done ;;
    pg-restart) pg_restart ;;
    two-instances) two_instances ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
echo
if [ "$FAILED" = 0 ]; then echo "fault suite: all passed"; else echo "fault suite: FAILURES above"; exit 1; fi
