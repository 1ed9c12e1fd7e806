# lib.sh - helpers for tests/cli/08*-supervisor-*.sh (issue #8): source it.
#
#   SUP, TCHILD        the supervisor next to $APPBUILD, and a copy of the test
#                      child inside $T (so every process it starts is findable
#                      through /proc by its path)
#   write_config       stdin -> $T/supervisor.yaml (run_dir: $T/run)
#   start_sup [ARGS]   run the supervisor in the background; SPID; waits for
#                      its control socket
#   ctl ARGS...        the control client; stdout in $T/ctl.out, rc in $CTL_RC
#   wait_until SECS CMD...  eval CMD (functions allowed) every 50 ms until it
#                      succeeds, else fail
#   count_state STATE  instances in STATE per `status`
#   strays             pids of live processes started from $T (none expected)
#   zombies PID        zombie children of PID
#
# The trap kills whatever the test left (supervisor first, then strays by pid).
set -u
: "${APPBUILD:?APPBUILD is not set: run the end-to-end tests through make check}"
BIN=$(dirname "$APPBUILD")
SUP=$BIN/appbuild-supervisor
[ -x "$SUP" ] || { echo "$SUP is missing: make build/san/appbuild-supervisor" >&2; exit 1; }
[ -x "$BIN/supervisor-tchild" ] || { echo "$BIN/supervisor-tchild is missing" >&2; exit 1; }
T=$(mktemp -d /tmp/suptest.XXXXXX)
cp "$BIN/supervisor-tchild" "$T/tchild"
TCHILD=$T/tchild
SPID=
# The sanitizer build: leaks fail the supervisor's exit status.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export ASAN_OPTIONS

strays() {
	find /proc/[0-9]*/exe -maxdepth 0 -lname "$T/*" 2>/dev/null | cut -d/ -f3
}

zombies() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$1" '{
		sub(/^.*\) /, ""); if ($1 == "Z" && $2 == pp) n++ } END { if (n) print n " zombies" }'
}

cleanup() {
	[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
	for p in $(strays); do kill -KILL "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$T/sup.err" ]; then
		echo "--- supervisor stderr (last 30 lines):" >&2
		tail -n 30 "$T/sup.err" >&2
	fi
	exit 1
}

write_config() {
	{
		echo "run_dir: $T/run"
		cat
	} >"$T/supervisor.yaml"
}

start_sup() {
	"$SUP" run "$@" "$T/supervisor.yaml" >"$T/sup.out" 2>"$T/sup.err" &
	SPID=$!
	wait_until 10 test -S "$T/run/supervisor.sock"
}

ctl() {
	"$SUP" ctl --run-dir "$T/run" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	CTL_RC=$?
}

wait_until() {
	secs=$1
	shift
	n=$((secs * 20))
	while [ "$n" -gt 0 ]; do
		eval "$*" && return 0
		sleep 0.05
		n=$((n - 1))
	done
	fail "timed out after ${secs}s waiting for: $*"
}

count_state() {
	ctl status
	grep -c " $1 " "$T/ctl.out"
}

count_strays() { strays | wc -l; }

now_ms() { date +%s%3N; }

# wait_exit SECS: the supervisor's exit status in $SUP_RC
wait_exit() {
	wait_until "$1" "! kill -0 $SPID 2>/dev/null || grep -q '^State:.*Z' /proc/$SPID/status 2>/dev/null"
	wait "$SPID"
	SUP_RC=$?
	SPID=
}
