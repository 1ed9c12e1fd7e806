#!/bin/sh
# bench/index.sh - the core metadata of every wheel in ../shared/pyindex,
# cold cache, over tests/server/server.py with 20 ms added to every request:
# `appbuild index metadata` (parallel; PEP 658 sidecars) against
# `pip install --dry-run --no-deps` of the same set (pip 23.2 reads the
# sidecars too, one request at a time). Prints wall times and the ratio.
#
#   sh bench/index.sh [APPBUILD]        (default build/appbuild)
set -eu
# the same sources for both tools: only the local index
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_NO_INDEX \
	APPBUILD_FIND_LINKS APPBUILD_EXTRA_INDEX_URL APPBUILD_INDEX_URL APPBUILD_NO_INDEX
here=$(cd "$(dirname "$0")/.." && pwd)
appbuild=${1:-$here/build/appbuild}
shared=${SHARED:-$here/../shared}
latency=${LATENCY_MS:-20}
tmp=$(mktemp -d)
server_pid=
cleanup() {
	exec 3>&- 2>/dev/null || true
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkfifo "$tmp/in"
# the server's stdin is a FIFO held open by this script (fd 3): when the
# script exits, for whatever reason, the server reads EOF and stops
python3 "$here/tests/server/server.py" "$shared/pyindex" <"$tmp/in" >"$tmp/port" 2>/dev/null &
server_pid=$!
exec 3>"$tmp/in"
while ! grep -q PORT "$tmp/port" 2>/dev/null; do sleep 0.05; done
port=$(sed 's/PORT //' "$tmp/port")
url="http://127.0.0.1:$port/f/latency$latency/simple/"

# name==version of every wheel
set --
for w in "$shared"/pyindex/files/*.whl; do
	b=$(basename "$w" .whl)
	name=${b%%-*}
	rest=${b#*-}
	set -- "$@" "$name==${rest%%-*}"
done
n=$#

# date, not python: a python start (up to a second on a busy machine) would
# be counted in the time of the command before it
now() { date +%s.%N; }

t0=$(now)
"$appbuild" index metadata --json --cache-dir "$tmp/cache" -i "$url" "$@" >"$tmp/ab.json" \
	2>"$tmp/ab.err"
t1=$(now)
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/ab.json")

t2=$(now)
python3 -m pip install --dry-run --no-deps --ignore-installed \
	--no-cache-dir --quiet --index-url "$url" --report "$tmp/pip.json" "$@" >/dev/null 2>&1
t3=$(now)
pipn=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["install"]))' "$tmp/pip.json")

python3 - "$t0" "$t1" "$t2" "$t3" "$n" "$got" "$pipn" "$latency" "$(tail -n 1 "$tmp/ab.err")" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
n, got, pipn, lat, summary = sys.argv[5:10]
a, p = t1 - t0, t3 - t2
print(f"index metadata of {n} distributions, {lat} ms per request, cold cache")
print(f"  appbuild: {a:7.2f} s  ({got} metadata files; {summary})")
print(f"  pip:      {p:7.2f} s  (pip install --dry-run --no-deps, {pipn} resolved)")
print(f"  ratio:    {p / a:7.1f}x")
print(f"  load:     {open('/proc/loadavg').read().split()[0]} (1 min average, at the end)")
PY
