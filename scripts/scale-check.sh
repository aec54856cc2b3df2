#!/usr/bin/env bash
# The Prefect server's scale-out mode, checked end to end on this machine:
#   PostgreSQL as the server's database + Redis messaging (prefect-redis), then ONE `jobfeed import`
#   through that server, and the flow run found in it (API and the PG table).
# Everything binds 127.0.0.1 on free ports, lives in one temp dir, and is stopped by the EXIT trap.
# Prints PASS/FAIL; exit 0 = pass, 1 = fail, 77 = PostgreSQL not available and cannot be installed.
# Idempotent: nothing outside the temp dir is changed (except `apt-get install postgresql` if missing).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PREFECT="$(dirname "$PY")/prefect"
HEALTH_TIMEOUT_S="${SCALE_CHECK_HEALTH_TIMEOUT_S:-120}"  # prefect server start ~10 s; migrations on PG add some
IMPORT_TIMEOUT_S="${SCALE_CHECK_IMPORT_TIMEOUT_S:-180}"

WORK="$(mktemp -d /tmp/jobfeed-scale-check-XXXXXX)"
chmod 755 "$WORK"  # the postgres user must traverse it to reach its data dir
PIDS=()            # process-group leaders we started (setsid), stopped in reverse order
PG_BIN=""
PG_DATA="$WORK/pg"
DROP_MONGO_DB=""   # set when we wrote into somebody else's Mongo: that test database is dropped again

log() { printf '[scale-check] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; echo "FAIL"; exit 1; }

as_pg() {  # initdb/postgres refuse to run as root: run them as the postgres user then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local rc=$?
  set +e
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do  # SIGTERM the group, bounded wait, then SIGKILL
    local pid="${PIDS[$i]}"
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  done
  if [ -n "$PG_BIN" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -t 20 stop >/dev/null 2>&1 \
      || kill -KILL "$(head -1 "$PG_DATA/postmaster.pid")" 2>/dev/null
  fi
  if [ -n "$DROP_MONGO_DB" ]; then
    timeout 20 "$PY" -c 'import os,pymongo; pymongo.MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000).drop_database(os.environ["MONGODB_DB"])' 2>/dev/null
  fi
  if [ "$rc" != 0 ] && [ -z "${SCALE_CHECK_QUIET:-}" ]; then  # the logs say why; show their tails
    for f in "$WORK"/*.log; do [ -f "$f" ] && { log "--- tail $f"; tail -n 25 "$f" >&2; }; done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {  # start <log> <cmd...>: own session (so the whole group can be stopped), output to log
  local logf="$1"; shift
  setsid "$@" >"$logf" 2>&1 </dev/null &
  PIDS+=("$!")
}

wait_for() {  # wait_for <seconds> <what> <cmd...>: poll until cmd succeeds, bounded
  local limit="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what not ready after ${limit} s"
    sleep 0.3
  done
}

http_ok() { "$PY" -c 'import sys,urllib.request as u; u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=3)' "$1"; }

# --- PostgreSQL: find it, install it if missing (root + apt only) --------------------------------
PG_GLOB="${SCALE_CHECK_PG_GLOB:-/usr/lib/postgresql/*/bin}"  # overridable only to test the skip path
find_pg() { ls -d $PG_GLOB 2>/dev/null | sort -V | tail -n 1 || true; }
PG_BIN="$(find_pg)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "SKIP: PostgreSQL is not installed and cannot be installed here (needs root and apt-get)"
    echo "SKIP"; trap - EXIT; rm -rf "$WORK"; exit 77
  fi
  log "installing postgresql with apt-get (one time)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >/dev/null || true
  timeout 600 apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
    || { log "SKIP: apt-get install postgresql failed"; echo "SKIP"; trap - EXIT; rm -rf "$WORK"; exit 77; }
  PG_BIN="$(find_pg)"
fi
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
PG_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"
PG_PORT="$(free_port)"
printf '%s\n' "$PG_PASSWORD" >"$WORK/pwfile"; chmod 600 "$WORK/pwfile"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/pwfile"
mkdir -p "$WORK/pgsock"; [ "$(id -u)" = 0 ] && chown postgres: "$WORK/pgsock"
# Password auth over TCP; trust only on the private unix socket dir (0700, postgres-owned).
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$WORK/pwfile" --auth-host=scram-sha-256 \
  --auth-local=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 || fail "initdb failed"
rm -f "$WORK/pwfile"
as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pgsock" start >/dev/null || fail "postgres did not start"
as_pg "$PG_BIN/createdb" -h "$WORK/pgsock" -p "$PG_PORT" -U postgres prefect || fail "createdb failed"
log "postgres $($PG_BIN/postgres --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

# --- Redis (messaging for Prefect on db 0, jobfeed's feed locks on db 1) ---------------------------
REDIS_PORT="$(free_port)"
REDIS_BIN="$("$PY" -c 'from jobfeed.stack.servers import redis_server_binary; print(redis_server_binary())')"
mkdir -p "$WORK/redis"
start "$WORK/redis.log" "$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" \
  --save "" --appendonly no --daemonize no
wait_for 20 "redis" "$PY" -c 'import sys,redis; redis.Redis(port=int(sys.argv[1])).ping()' "$REDIS_PORT"

# --- Mongo: MONGODB_URI if given (a unique database, dropped at the end), else our own secantusd ---
if [ -n "${MONGODB_URI:-}" ]; then
  if [ -z "${MONGODB_DB:-}" ]; then export MONGODB_DB="scale_check_$$"; DROP_MONGO_DB=1; fi
else
  MONGO_PORT="$(free_port)"
  : >"$WORK/mongo.toml"  # explicit empty config: no stray ./secantusd.toml is picked up
  start "$WORK/mongo.log" "$(dirname "$PY")/secantusd-py" --config "$WORK/mongo.toml" --host 127.0.0.1 \
    --port "$MONGO_PORT" --storage-path "$WORK/mongo" --sync-on-commit
  export MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true&retryWrites=false"
  export MONGODB_DB="scale_check"
  wait_for 30 "mongo" "$PY" -c 'import os,pymongo; pymongo.MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=1000).admin.command("ping")'
fi

# --- a sample feed over HTTP ---------------------------------------------------------------------
FEED_PORT="$(free_port)"
start "$WORK/feeds.log" "$PY" -m http.server "$FEED_PORT" --bind 127.0.0.1 --directory "$ROOT/jobfeed/samples"
FEED_URL="http://127.0.0.1:$FEED_PORT/jobspresso_wpjm_job_feed.xml"
wait_for 20 "feed server" http_ok "$FEED_URL"

# --- the Prefect server in scale-out mode ----------------------------------------------------------
API_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT/api"
PG_URL="postgresql+asyncpg://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/prefect"
start "$WORK/prefect.log" env \
  PREFECT_HOME="$WORK/prefect-home" \
  PREFECT_API_URL="$API" \
  PREFECT_API_DATABASE_CONNECTION_URL="$PG_URL" \
  PREFECT_MESSAGING_BROKER=prefect_redis.messaging \
  PREFECT_MESSAGING_CACHE=prefect_redis.messaging \
  PREFECT_SERVER_EVENTS_CAUSAL_ORDERING=prefect_redis.ordering \
  PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE=prefect_redis.lease_storage \
  PREFECT_REDIS_MESSAGING_HOST=127.0.0.1 PREFECT_REDIS_MESSAGING_PORT="$REDIS_PORT" PREFECT_REDIS_MESSAGING_DB=0 \
  PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_UI_ENABLED=false PREFECT_SERVER_UI_ENABLED=false \
  "$PREFECT" server start --host 127.0.0.1 --port "$API_PORT"
wait_for "$HEALTH_TIMEOUT_S" "prefect server (PostgreSQL + Redis messaging)" http_ok "$API/health"
log "prefect server healthy at $API"

# --- one import through it -------------------------------------------------------------------------
set +e
env PREFECT_API_URL="$API" FETCH_ALLOW_HOSTS=127.0.0.1 REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1" \
  JOBFEED_STATE_DIR="$WORK/state" PREFECT_SERVER_ANALYTICS_ENABLED=false \
  timeout "$IMPORT_TIMEOUT_S" "$PY" -m jobfeed import --feed "$FEED_URL" --json \
  >"$WORK/import.json" 2>"$WORK/import.log"
IMPORT_RC=$?
set -e
[ "$IMPORT_RC" = 0 ] || fail "jobfeed import exited $IMPORT_RC"

# JSON says success, the flow run is COMPLETED in this server, its row is in PostgreSQL, and
# Prefect's messages went through Redis (streams exist on db 0).
RUN_ID="$("$PY" - "$WORK/import.json" "$API" "$REDIS_PORT" <<'EOF'
import json, sys, urllib.request as u
import redis
logs = json.load(open(sys.argv[1]))
assert len(logs) == 1, f"expected one ImportLog, got {len(logs)}"
log = logs[0]
assert log["status"] == "success", f"status {log['status']!r}: {log.get('error')}"
assert log["newJobs"] > 0 and log["totalFetched"] == log["newJobs"] + log["updatedJobs"] + log["unchangedJobs"] + log["failedJobs"], log
run_id = log["flowRunId"]
opener = u.build_opener(u.ProxyHandler({}))
run = json.load(opener.open(f"{sys.argv[2]}/flow_runs/{run_id}", timeout=10))
assert run["state_type"] == "COMPLETED", run["state_type"]
r = redis.Redis(port=int(sys.argv[3]), db=0)
streams = [k.decode() for k in r.scan_iter(count=1000) if r.type(k) == b"stream"]
assert streams, "no Redis streams on db 0: Prefect did not use Redis messaging"
print(run_id)
print(f"redis streams: {sorted(streams)[:8]}", file=sys.stderr)
EOF
)" || fail "checks on the import output / Prefect API failed"
IN_PG="$(as_pg "$PG_BIN/../bin/psql" -h "$WORK/pgsock" -p "$PG_PORT" -U postgres -d prefect -tAc \
  "select count(*) from flow_run where id = '$RUN_ID' and state_type = 'COMPLETED'")"
[ "$IN_PG" = 1 ] || fail "flow run $RUN_ID not COMPLETED in PostgreSQL's flow_run table (got '$IN_PG')"
log "flow run $RUN_ID COMPLETED; stored in PostgreSQL; messages via Redis"
echo "PASS"
