#!/usr/bin/env bash
# Fault suite: scripted, repeatable, loopback only, each scenario bounded in time. Needs a
# release build, sqlite3, psql and python3; the PostgreSQL scenarios restart the local
# cluster, so run it on a machine where nothing else is using PostgreSQL.
#
#   bench/faults.sh                         every scenario
#   bench/faults.sh import-kill smtp-down   some of them
#
# Scenarios:
#   import-kill        kill -9 during a 5,000-row import → nothing written; the rerun writes all
#   fanout-kill        kill -9 while updates fan out and mail goes → after restart every
#                      follower is notified once and mailed once
#   smtp-down          mail server down 60 s (SMTP_DOWN) under page load → all delivered after,
#                      none twice, every page answered
#   pg-restart         PostgreSQL restarted while serving → 503s, then answers again without
#                      restarting the portal
#   two-instances      two portals on one PostgreSQL, both running workers → nothing twice
#   hostile-workbooks  XLSX uploads that lie about their sizes and counts or unpack to hundreds
#                      of MB, three at once → each answered 422, memory under 100 MB more,
#                      /healthz answering within 1 s throughout
#   hung-receivers     a webhook receiver and a mail server that accept and never answer →
#                      pages still answer within 100 ms; the job limits bound the connections held
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SCENARIOS="${*:-import-kill fanout-kill smtp-down pg-restart two-instances hostile-workbooks hung-receivers}"
ENGINES="${ENGINES:-sqlite postgres}"
PEOPLE="${PEOPLE:-1000}"
SMTP_DOWN="${SMTP_DOWN:-60}"
PORT=8192
PORT2=8193
SMTP_PORT=2592
HOOK_PORT=2593
MAIL_PORT=2594
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

# upload BASE TOKEN FILE: the status code of a dry-run import of FILE (000 if no answer).
upload() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $2" \
    -F "file=@$3" "$1/api/v1/opportunities/import?dry_run=true" || true
}

# mb KB: kilobytes as megabytes, one decimal.
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

hostile_workbooks() {
  local engine="$1" tok xlsx stop
  setup "$engine"
  serve "$PORT"
  tok="$(token "$BASE" "$POSTER")"
  xlsx="$DIR/xlsx"
  python3 bench/hostile_xlsx.py "$xlsx" | sed 's/^/      /'
  # The portal's resident memory every 50 ms, and /healthz every 100 ms, until $stop.
  stop="$DIR/stop-sampling"
  touch "$DIR/rss" "$DIR/health" "$DIR/uploads"
  ( while [ ! -e "$stop" ]; do
      ps -o rss= -p "$SERVED" >>"$DIR/rss" || break
      sleep 0.05
    done ) &
  local sampler=$!
  PIDS+=("$sampler")
  ( while [ ! -e "$stop" ]; do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 "$BASE/healthz" >>"$DIR/health" || true
      sleep 0.1
    done ) &
  local poller=$!
  PIDS+=("$poller")
  local good idle
  good="$(upload "$BASE" "$tok" "$xlsx/good.xlsx")"
  check "$engine hostile-workbooks: the good workbook checks out ($good)" test "$good" = 200
  sleep 1
  idle="$(ps -o rss= -p "$SERVED" | tr -d ' ' || echo 0)"
  # Each hostile file three times at once.
  local file kind files=0 pids
  for file in "$xlsx"/*.xlsx; do
    kind="$(basename "$file" .xlsx)"
    [ "$kind" = good ] && continue
    files=$((files + 1))
    pids=()
    for _ in 1 2 3; do
      { echo "$kind $(upload "$BASE" "$tok" "$file")" >>"$DIR/uploads"; } &
      pids+=("$!")
    done
    wait "${pids[@]}" || true
  done
  sleep 1
  touch "$stop"
  wait "$sampler" "$poller" 2>/dev/null || true
  local peak uploads rejected polls unhealthy slowest late
  peak="$(awk '$1 > m { m = $1 } END { print m + 0 }' "$DIR/rss")"
  uploads="$(wc -l <"$DIR/uploads")"
  rejected="$(awk '$2 == 422 { n++ } END { print n + 0 }' "$DIR/uploads")"
  polls="$(wc -l <"$DIR/health")"
  unhealthy="$(awk '$1 != 200 { n++ } END { print n + 0 }' "$DIR/health")"
  slowest="$(awk '$2 > m { m = $2 } END { printf "%.3f", m }' "$DIR/health")"
  late="$(awk '$1 != 200 || $2 > 1 { n++ } END { print (NR ? n + 0 : "no polls") }' "$DIR/health")"
  echo "      memory: $(mb "$idle") MB idle, $(mb "$peak") MB at peak, $(mb $((peak - idle))) MB more"
  echo "      $uploads uploads of $files hostile files, $rejected answered 422"
  awk '$2 != 422 { print "      " $1 " answered " $2 }' "$DIR/uploads"
  echo "      $polls health polls, $unhealthy not 200, slowest ${slowest}s"
  check "$engine hostile-workbooks: every hostile upload answered 422 ($rejected of $((files * 3)))" \
    test "$rejected" = $((files * 3))
  check "$engine hostile-workbooks: memory rose under 100 MB ($(mb $((peak - idle))) MB)" \
    test $((peak - idle)) -lt $((100 * 1024))
  check "$engine hostile-workbooks: every health poll answered 200 within 1 s ($late did not)" \
    test "$late" = 0
  cleanup
}

# silent_up PORT: a server on PORT that accepts every connection and never answers nor closes
# one; sets SILENT.
silent_up() {
  python3 - "$1" <<'PY' &
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(256)
held = []
while True:
    held.append(server.accept()[0])
PY
  SILENT=$!
  PIDS+=("$SILENT")
  wait_until 5 listening "$1" || fail "no silent server came up on port $1"
}
listening() { test "$(ss -tln "( sport = :$1 )" | grep -c LISTEN)" -gt 0; }
# held PORT: connections open at the server on PORT just now.
held() { ss -tn state established "( sport = :$1 )" | tail -n +2 | wc -l; }

# to_ms LATENCY: wrk's latency (like 850.00us, 12.30ms or 1.20s) in milliseconds; ? if none.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 0
    if (f == 0) print "?"; else printf "%.2f\n", n * f }'
}
# below NUMBER LIMIT: NUMBER is a number, and under LIMIT.
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && a + 0 < b + 0) }'; }

# page_report LABEL WRK_OUTPUT: a page's p99 and rate under wrk; every answer 2xx, none
# lost, p99 under 100 ms.
page_report() {
  local label="$1" out="$2" p99 rate errors
  p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  rate="$(awk '$1 == "Requests/sec:" { print $2 }' "$out")"
  errors="$(grep -E 'Non-2xx|Socket errors' "$out" || true)"
  echo "      $label: p99 $p99 ms, ${rate:-?} requests/s"
  if [ -n "$errors" ]; then sed 's/^ */      /' <<<"$errors"; fi
  check "$label: no non-2xx and no socket errors" test -z "$errors"
  check "$label: p99 under 100 ms ($p99 ms)" below "$p99" 100
}

hung_receivers() {
  local engine="$1"
  setup "$engine"
  # Deliveries to loopback, waiting the longest a receiver may take; mail to the silent server.
  export METRO__WEBHOOKS__ALLOW_PRIVATE_ADDRESSES=true METRO__WEBHOOKS__TIMEOUT_SECONDS=30
  export METRO__EMAIL__SMTP__PORT="$MAIL_PORT"
  silent_up "$HOOK_PORT"
  silent_up "$MAIL_PORT"
  local org author values="" n
  read -r org author <<<"$(sql "$URL" "SELECT organisation_id, id FROM users WHERE email = '$POSTER'" | tr '|' ' ')"
  for n in $(seq 1 16); do
    values="$values${values:+, }($org, 'http://127.0.0.1:$HOOK_PORT/hook/$n', 'fault-suite-secret-$n',
      'post.created', TRUE, $author, CURRENT_TIMESTAMP)"
  done
  sql "$URL" "INSERT INTO webhooks (organisation_id, url, secret, event_kinds, active, created_by, created_at)
    VALUES $values" >/dev/null
  serve "$PORT"
  local tok stop
  tok="$(token "$BASE" "$POSTER")"
  post_updates "$BASE" 3 "Hung"
  # Connections held at each silent server, every second, until $stop.
  stop="$DIR/stop-counting"
  touch "$DIR/held"
  ( while [ ! -e "$stop" ]; do
      echo "$(held "$HOOK_PORT") $(held "$MAIL_PORT")" >>"$DIR/held"
      sleep 1
    done ) &
  local counter=$!
  PIDS+=("$counter")
  sleep 3
  wrk -t1 -c4 -d20s --latency -H "Authorization: Bearer $tok" "$BASE/api/v1/workspaces/skills" >"$DIR/wrk-skills.txt" 2>&1 || true
  wrk -t1 -c4 -d20s --latency -H "Authorization: Bearer $tok" "$BASE/api/v1/opportunities?per_page=20" >"$DIR/wrk-opportunities.txt" 2>&1 || true
  touch "$stop"
  wait "$counter" 2>/dev/null || true
  local hooks mails
  read -r hooks mails < <(awk '$1 > w { w = $1 } $2 > m { m = $2 } END { print w + 0, m + 0 }' "$DIR/held")
  page_report "$engine hung-receivers: workspace page" "$DIR/wrk-skills.txt"
  page_report "$engine hung-receivers: opportunities page" "$DIR/wrk-opportunities.txt"
  echo "      held at most: $hooks connections at the webhook receiver, $mails at the mail server"
  check "$engine hung-receivers: both silent servers were waited on" test $((hooks > 0 && mails > 0)) = 1
  # jobs.limits in config/default.toml: webhook 6; email 3 + notify 3 + digest 3.
  check "$engine hung-receivers: the webhook receiver held at most 6 ($hooks)" test "$hooks" -le 6
  check "$engine hung-receivers: the mail server held at most 9 ($mails)" test "$mails" -le 9
  unset METRO__WEBHOOKS__ALLOW_PRIVATE_ADDRESSES METRO__WEBHOOKS__TIMEOUT_SECONDS
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
    hostile-workbooks) for e in $ENGINES; do hostile_workbooks "$e"; done ;;
    hung-receivers) for e in $ENGINES; do hung_receivers "$e"; done ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
echo
if [ "$FAILED" = 0 ]; then echo "fault suite: all passed"; else echo "fault suite: FAILURES above"; exit 1; fi
