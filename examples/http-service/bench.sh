#!/bin/sh
# bench.sh -- what `make http-bench` runs: wrk on loopback against the
# example service (http-service: libnanasqlite behind the loop) and its twin
# (http-service-sqlite3: blocking sqlite3 calls on the loop thread), each on
# a fresh database in a temporary directory:
#
#   POST   POST /users, ids cycling through 1..USERS (fills the table)
#   GET    GET /users/{id} of those ids
#   mixed  nine GETs for one POST
#
# DURATION (10s), CONNECTIONS (64), WRK_THREADS (2) and USERS (10000) may be
# set in the environment.  Prints requests/s and latency percentiles per
# run, and a summary table, also written to build/http-bench.txt.
set -eu
cd "$(dirname "$0")/../.."
dir=examples/http-service
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${WRK_THREADS:-2}
users=${USERS:-10000}

command -v wrk >/dev/null 2>&1 || { echo "bench.sh: wrk is not installed (make http-bench installs it as root)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/nana-http-bench-XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Starts $1 on a fresh database; sets pid and port.
start() {
    "$1" --db "$tmp/$2.db" --port 0 >"$tmp/$2.out" 2>"$tmp/$2.err" &
    pid=$!
    tries=0
    until grep -q '^listening on' "$tmp/$2.out" 2>/dev/null; do
        tries=$((tries + 1))
        if [ $tries -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "bench.sh: $1 did not start:" >&2
            cat "$tmp/$2.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/$2.out")
}

stop() {
    kill -TERM "$pid"
    wait "$pid" || { echo "bench.sh: the service did not exit 0" >&2; exit 1; }
    pid=""
}

summary="$tmp/summary"
printf '%-7s %-24s %12s %10s %10s %10s\n' workload service "requests/s" p50 p99 non-2xx >"$summary"

for service in library sqlite3; do
    if [ $service = library ]; then
        bin=$dir/http-service
        label="library (nana_*, cq)"
    else
        bin=$dir/http-service-sqlite3
        label="blocking sqlite3"
    fi
    start "$bin" "$service"
    for workload in post get mixed; do
        case $workload in
        post) url=http://127.0.0.1:$port/users; name=POST ;;
        get) url=http://127.0.0.1:$port; name=GET ;;
        mixed) url=http://127.0.0.1:$port; name=mixed ;;
        esac
        echo "== $name, $label: wrk -t$threads -c$connections -d$duration"
        wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$dir/$workload.lua" \
            "$url" -- "$users" "$threads" | tee "$tmp/$service-$workload.txt"
        awk -v w="$name" -v s="$label" '
            /^ +50%/ { p50 = $2 }
            /^ +99%/ { p99 = $2 }
            /^Requests\/sec:/ { rps = $2 }
            /Non-2xx or 3xx responses:/ { bad = $NF }
            END { printf "%-7s %-24s %12s %10s %10s %10s\n", w, s, rps, p50, p99, bad ? bad : 0 }
        ' "$tmp/$service-$workload.txt" >>"$summary"
    done
    stop
done

mkdir -p build
{
    echo "http-bench $(date -u +%Y-%m-%dT%H:%M:%SZ): wrk -t$threads -c$connections -d$duration, USERS=$users, $(nproc) CPUs shared by wrk and the service"
    cat "$summary"
} | tee build/http-bench.txt
