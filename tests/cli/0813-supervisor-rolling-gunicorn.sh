#!/bin/sh
# A rolling restart of a gunicorn-served app under steady HTTP load drops no
# request (issue #8). examples/flask-hello, its web process at two
# instances, is bundled over ../shared/pyindex, unpacked elsewhere and started
# with bin/launch start. The supervisor binds $BIND itself (`listen:`) and
# passes the socket to both gunicorns (LISTEN_FDS); each says READY=1 over
# NOTIFY_SOCKET. Three client threads (tests/supervisor/httpload.py, a new
# connection per request) run while `bin/launch restart web` and then
# `bin/launch reload` replace each instance in turn: every request must get a
# 200, and each instance a new pid. Then stop: nothing of the bundle is left.
# A rolling restart of a process with `listen` starts an extra instance
# (web.2) first, so an old instance stops only once a new one is up.
# SHOWLOG=1 prints the supervisor's log at the end.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$T/tmp" "$T/u"
R=$T/u/flask-hello-1.0.0
LOADPID=
finish() {
	[ -n "$LOADPID" ] && kill "$LOADPID" 2>/dev/null
	[ -x "$R/bin/launch" ] && "$R/bin/launch" stop >/dev/null 2>&1
	rm -rf "$T"
}
trap finish EXIT
fail_log() {
	echo "--- run/supervisor.log (last 40 lines):" >&2
	tail -n 40 "$R/run/supervisor.log" >&2 2>/dev/null
	fail "$@"
}

cp -r "$TOP/examples/flask-hello" "$T/"
rm -rf "$T/flask-hello/dist" "$T/flask-hello/dependencies.lock"
# two instances of the example's own web command
sed -i 's/^  web: \(gunicorn .*\)$/  web: {command: '\''\1'\'', count: 2}/' "$T/flask-hello/appbuild.yaml"
grep -q "count: 2" "$T/flask-hello/appbuild.yaml" || fail "could not set count: 2"
run bundle "$T/flask-hello" --cache-dir "$T/cache" --index-url "$IDX"
expect_rc 0
tar xzf "$T/flask-hello/dist/flask-hello-1.0.0.tar.gz" -C "$T/u" || fail "cannot unpack"
Y=$R/etc/supervisor.yaml
grep -q 'instances: 2' "$Y" || fail "no 'instances: 2' in $Y: $(cat "$Y")"
grep -q 'listen: "${BIND:-127.0.0.1:8000}"' "$Y" || fail "no listen in $Y: $(cat "$Y")"
grep -q 'ready: {notify: true}' "$Y" || fail "no ready.notify in $Y: $(cat "$Y")"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BIND=127.0.0.1:$PORT timeout 30 "$R/bin/launch" start >"$T/out" 2>&1 || {
	cat "$T/out" >&2
	fail_log "launch start"
}

# web.0 and web.1 running (READY=1 came); "PID PID" of the two in $T/pids
pids() {
	"$R/bin/launch" status >"$T/status" 2>&1 || return 1
	[ "$(grep -c '^web\.[01] running ' "$T/status")" = 2 ] || return 1
	sed -n 's/^web\.[01] running pid=\([0-9]*\) .*/\1/p' "$T/status" | tr '\n' ' '
}
wait_pids() { # OLD-PIDS: until both run with pids other than OLD-PIDS
	i=0
	while [ $i -lt 600 ]; do
		now=$(pids) && {
			fresh=1
			for p in $now; do
				case " $1 " in *" $p "*) fresh= ;; esac
			done
			[ -n "$fresh" ] && { echo "$now"; return 0; }
		}
		sleep 0.1
		i=$((i + 1))
	done
	fail_log "web.0 and web.1 not running with new pids after 60 s: $(cat "$T/status")"
}
P0=$(wait_pids "none")
grep -q 'web.0 ready after' "$R/run/supervisor.log" || fail_log "no readiness (READY=1) logged"
python3 -c 'import sys, urllib.request
assert urllib.request.urlopen(sys.argv[1], timeout=10).status == 200' \
	"http://127.0.0.1:$PORT/" || fail_log "no HTTP answer on $PORT"

python3 "$TOP/tests/supervisor/httpload.py" "http://127.0.0.1:$PORT/?name=load" "$T/stop" 120 \
	>"$T/load" 2>&1 &
LOADPID=$!
sleep 1
"$R/bin/launch" restart web >"$T/out" 2>&1 || fail_log "launch restart web: $(cat "$T/out")"
P1=$(wait_pids "$P0")
grep -q "rolling restart of 'web' done" "$R/run/supervisor.log" || {
	sleep 1
	grep -q "rolling restart of 'web' done" "$R/run/supervisor.log" || fail_log "restart not done"
}
sleep 1
"$R/bin/launch" reload >"$T/out" 2>&1 || fail_log "launch reload: $(cat "$T/out")"
P2=$(wait_pids "$P1")
sleep 1
touch "$T/stop"
wait "$LOADPID"
rc=$?
LOADPID=
cat "$T/load" >&2
[ "$rc" = 0 ] || fail_log "requests failed during the rolling restarts ($P0-> $P1-> $P2)"
n=$(sed -n 's/^requests \([0-9]*\) .*/\1/p' "$T/load")
[ "${n:-0}" -ge 30 ] || fail_log "only ${n:-0} requests: no steady load"
# each stop was graceful: no SIGKILL, no instance marked as failed
grep -q 'killing its process group\|failed to start\|not ready after' "$R/run/supervisor.log" &&
	fail_log "an instance did not stop or start cleanly"

[ -n "${SHOWLOG:-}" ] && cat "$R/run/supervisor.log" >&2
timeout 30 "$R/bin/launch" stop >/dev/null 2>&1 || fail_log "launch stop"
left=
for f in /proc/[0-9]*/cmdline; do
	case $({ tr '\0' ' ' <"$f"; } 2>/dev/null) in *"$R"*) left="$left ${f%/cmdline}" ;; esac
done
[ -z "$left" ] || fail "processes left after stop: $left"
[ ! -e "$R/run/supervisor.sock" ] || fail "control socket left behind"
exit 0
