# serve.sh - helpers for the tests that run an unpacked bundle; source it
# after common.sh:
#
#   free_port                 a free TCP port on 127.0.0.1 (printed)
#   http_get URL FILE         GET URL into FILE, retrying for up to 10 s;
#                             0 once answered with 200
#   sigterm_stop ROOT         SIGTERM to the bundle's supervisor
#                             (ROOT/run/supervisor.pid); fails unless it and
#                             every process started from ROOT are gone
#                             within 10 s
#   kill_leftovers ROOT       for an EXIT trap: SIGKILL whatever still runs
#                             from ROOT (its path is on their command line)

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_get() {
	i=0
	while [ $i -lt 100 ]; do
		if python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
			"$1" >"$2" 2>/dev/null; then
			return 0
		fi
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

# The processes whose command line holds ROOT/ (the supervisor, the
# environment's python running the app's servers).
from_root() {
	pgrep -f -- "$1/" 2>/dev/null | grep -vx "$$" || true
}

sigterm_stop() {
	[ -f "$1/run/supervisor.pid" ] || fail "no $1/run/supervisor.pid"
	pid=$(cat "$1/run/supervisor.pid")
	kill -0 "$pid" 2>/dev/null || fail "the supervisor (pid $pid) is not running"
	kill -TERM "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null || [ -n "$(from_root "$1")" ]; do
		i=$((i + 1))
		if [ $i -ge 100 ]; then
			ps -o pid,ppid,args -p "$pid" $(from_root "$1") >&2 2>/dev/null
			fail "still running 10 s after SIGTERM"
		fi
		sleep 0.1
	done
}

kill_leftovers() {
	for p in $(from_root "$1"); do
		kill -KILL "$p" 2>/dev/null
	done
}
