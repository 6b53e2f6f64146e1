# Shared by the benchmark and fault scripts: the build, a fresh database per engine, SQL
# against it, the seeded people's password and an API token.
# shellcheck shell=bash

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/metro-portal/target}"
PG_SERVER="${PG_SERVER:-postgres://root@127.0.0.1:5432}"
BENCH_PASSWORD="bench-password-2030"

build_release() {
  for tool in wrk sqlite3 psql; do
    if ! command -v "$tool" >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk sqlite3 postgresql-client >/dev/null
    fi
  done
  # BIN=path/to/metro-portal measures that build instead (for a before/after in one sitting).
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$CARGO_TARGET_DIR/release/metro-portal"
  fi
}

# fresh_db ENGINE DIR NAME: prints a database URL for an empty database.
fresh_db() {
  if [ "$1" = postgres ]; then
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $3 WITH (FORCE)" -c "CREATE DATABASE $3" >/dev/null
    echo "$PG_SERVER/$3?sslmode=disable"
  else
    echo "$2/metro.db"
  fi
}

# sql URL QUERY: one value per line, fields separated by |.
sql() {
  case "$1" in
    postgres://*) psql "${1%%\?*}" -qAtc "$2" ;;
    *) sqlite3 "$1" "$2" ;;
  esac
}

# wait_healthy BASE: waits up to 20 s for /healthz.
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -sf "$1/healthz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the portal at $1 did not answer /healthz" >&2
  return 1
}

# token BASE EMAIL: an API token for a seeded person.
token() {
  curl -s -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"$BENCH_PASSWORD\"}" "$1/api/v1/auth/token" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# session_cookie BASE EMAIL DIR: a Cookie header for a signed-in browser session.
session_cookie() {
  local jar="$3/cookies" csrf
  csrf="$(curl -s -c "$jar" "$1/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)"
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" \
    --data-urlencode "email=$2" --data-urlencode "password=$BENCH_PASSWORD" "$1/login"
  echo "Cookie: $(awk '$6 ~ /^metro_/ { printf "%s=%s; ", $6, $7 }' "$jar")"
}

# everyone_follows URL SLUG DELIVERY: every active person follows that workspace, and
# nothing else is followed or waiting; prints the email of a person who may post in it.
everyone_follows() {
  local ws
  ws="$(sql "$1" "SELECT id FROM workspaces WHERE slug = '$2'")"
  sql "$1" "DELETE FROM subscription_opt_outs; DELETE FROM notifications; DELETE FROM subscriptions;
    INSERT INTO subscriptions (organisation_id, user_id, target_kind, target_id, delivery, created_by, created_at)
    SELECT organisation_id, id, 'workspace', $ws, '$3', id, CURRENT_TIMESTAMP FROM users WHERE status = 'active'" >/dev/null
  sql "$1" "SELECT u.email FROM users u JOIN workspace_members m ON m.organisation_id = u.organisation_id
    WHERE m.workspace_id = $ws AND u.role IN ('staff', 'leader', 'org_admin') ORDER BY u.id LIMIT 1"
}

# pace RATE: "CONNECTIONS PAUSE_MS" for bench/paced.lua to hold about RATE requests a second.
# wrk pauses in whole milliseconds, so high rates get more connections (each pausing 10 ms)
# rather than shorter pauses; low rates get 8 connections with longer pauses.
pace() {
  awk -v r="$1" 'BEGIN { c = int(r * 10 / 1000 + 0.5);
    if (c < 8) { printf "8 %d\n", 8 * 1000 / r } else { printf "%d 10\n", c } }'
}

# now_s: seconds since the epoch, with fractions.
now_s() { date +%s.%N; }
# elapsed START: seconds since START, two decimals.
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'; }

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds.
wait_until() {
  local limit="$1"; shift
  local start; start="$(now_s)"
  until "$@"; do
    if awk -v e="$(elapsed "$start")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
      echo "gave up after ${limit}s waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}
