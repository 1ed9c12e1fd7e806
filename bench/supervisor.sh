#!/bin/sh
# bench/supervisor.sh - appbuild's supervisor vs supervisord and s6 on the
# same work (issue #8): N = 10 and 100 instances of a sleeping child, plus one
# instance that runs 2 s and exits 1. Measured the same way for all three:
#
#   start    time from launching the supervisor until all N children ran,
#            from the children's own CLOCK_REALTIME start stamps
#   start cpu  the supervisor's own CPU time until then (independent of how
#            busy the host is; wall times on a loaded host are not)
#   restart  time from the 2 s child's exit to its next start (its start
#            stamps minus the 2 s it runs), median over the run
#   cpu      the supervisor's CPU time over IDLE seconds (/proc/PID/schedstat,
#            ns resolution; for s6: s6-svscan plus every s6-supervise)
#   wakeups  its context switches over those seconds (the 2 s child's restarts
#            wake every supervisor ~IDLE/2 times)
#   idle     context switches over 5 s with only the N sleepers: timer wake-ups
#   rss      resident memory after start-up (s6: svscan + every supervise)
#
# The child is tests/supervisor/tchild (a `sleep` that stamps its start).
# `floor` is tests/supervisor/spawnfloor.c, compiled here: a bare posix_spawn
# loop and a blocking waitpid, the least any supervisor can do on this host;
# `exec` is the cost of one child on its own (perf stat, when present).
# Usage: sh bench/supervisor.sh [IDLE_SECONDS]   (default 20)
#        SUPS="appbuild s6" NS=100 sh bench/supervisor.sh   (a subset)
# Needs: build/appbuild-supervisor build/supervisor-tchild (make bench-supervisor),
# supervisord and s6 (Debian packages `supervisor`, `s6`; missing ones are
# skipped).
set -u
IDLE=${1:-20}
TOP=$(cd "$(dirname "$0")/.." && pwd)
SUP=$TOP/build/appbuild-supervisor
[ -x "$SUP" ] && [ -x "$TOP/build/supervisor-tchild" ] ||
	{ echo "bench/supervisor.sh: run 'make build/appbuild-supervisor build/supervisor-tchild'" >&2; exit 1; }
W=$(mktemp -d /tmp/supbench.XXXXXX)
cp "$TOP/build/supervisor-tchild" "$W/tchild"
${CC:-cc} -O2 -o "$W/spawnfloor" "$TOP/tests/supervisor/spawnfloor.c" ||
	{ echo "bench/supervisor.sh: cannot compile tests/supervisor/spawnfloor.c" >&2; exit 1; }
PIDS=

# every process started from $W (the children), by pid
children() { find /proc/[0-9]*/exe -maxdepth 0 -lname "$W/*" 2>/dev/null | cut -d/ -f3; }
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $(children); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
# supervisor pids: the main one plus, for s6, every s6-supervise under it
sup_pids() {
	echo "$1"
	if [ "$2" = s6 ]; then cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep .; fi
}
sum_schedstat() { for p in "$@"; do cut -d' ' -f1 /proc/"$p"/schedstat 2>/dev/null; done | awk '{ s += $1 } END { printf "%.0f", s }'; }
sum_ctxt() { for p in "$@"; do grep ctxt_switches /proc/"$p"/status 2>/dev/null; done | awk '{ s += $2 } END { printf "%d", s }'; }
sum_rss() { for p in "$@"; do grep VmRSS /proc/"$p"/status 2>/dev/null; done | awk '{ s += $2 } END { printf "%.1f", s / 1024 }'; }
wait_lines() { # FILE N SECS
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt $(($3 * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

start_appbuild() { # N EXITER(0/1)
	{
		echo "run_dir: $W/run"
		echo "processes:"
		echo "  sleep: {command: [$W/tchild, --log, $W/starts], instances: $1}"
		[ "$2" = 1 ] && echo "  exiter: {command: [$W/tchild, --log, $W/exiter, --exit-after, '2', --code, '1']}"
	} >"$W/supervisor.yaml"
	"$SUP" run "$W/supervisor.yaml" >/dev/null 2>"$W/appbuild.log" &
	SPID=$!
}

start_floor() {
	if [ "$2" = 1 ]; then
		"$W/spawnfloor" "$1" "$W/tchild" --log "$W/starts" -- \
			"$W/tchild" --log "$W/exiter" --exit-after 2 --code 1 &
	else
		"$W/spawnfloor" "$1" "$W/tchild" --log "$W/starts" &
	fi
	SPID=$!
}

start_supervisord() {
	{
		printf '[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\n' "$W" "$W"
		printf '[program:sleep]\ncommand=%s/tchild --log %s/starts\nnumprocs=%s\n' "$W" "$W" "$1"
		printf 'process_name=%%(program_name)s_%%(process_num)d\nautorestart=true\n'
		[ "$2" = 1 ] && printf '[program:exiter]\ncommand=%s/tchild --log %s/exiter --exit-after 2 --code 1\nautorestart=true\n' "$W" "$W"
	} >"$W/supervisord.conf"
	supervisord -n -c "$W/supervisord.conf" >/dev/null 2>&1 &
	SPID=$!
}

start_s6() {
	mkdir -p "$W/scan"
	i=0
	while [ $i -lt "$1" ]; do
		mkdir -p "$W/scan/sleep$i"
		printf '#!/bin/sh\nexec %s/tchild --log %s/starts\n' "$W" "$W" >"$W/scan/sleep$i/run"
		chmod +x "$W/scan/sleep$i/run"
		i=$((i + 1))
	done
	if [ "$2" = 1 ]; then
		mkdir -p "$W/scan/exiter"
		printf '#!/bin/sh\nexec %s/tchild --log %s/exiter --exit-after 2 --code 1\n' "$W" "$W" >"$W/scan/exiter/run"
		chmod +x "$W/scan/exiter/run"
	fi
	s6-svscan "$W/scan" >/dev/null 2>&1 &
	SPID=$!
}

stop_sup() { # NAME
	case $1 in
	appbuild) "$SUP" ctl --run-dir "$W/run" stop >/dev/null 2>&1 ;;
	supervisord) kill -TERM "$SPID" ;;
	s6) s6-svscanctl -t "$W/scan" 2>/dev/null || kill -TERM "$SPID" ;;
	floor) kill -TERM "$SPID" ;;
	esac
	i=0
	while kill -0 "$SPID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	for p in $(children); do kill -KILL "$p" 2>/dev/null; done
	wait "$SPID" 2>/dev/null
	rm -rf "$W/run" "$W/scan" "$W/starts" "$W/exiter"
}

# one run: start with N + the exiter, measure, stop
run_one() { # NAME N
	name=$1
	n=$2
	t0=$(now_ns)
	start_"$name" "$n" 1
	PIDS=$SPID
	wait_lines "$W/starts" "$n" 30
	start_cpu=$(sum_schedstat $(sup_pids "$SPID" "$name"))
	start_ms=$(sort -k3,3n "$W/starts" | sed -n "${n}p" | awk -v t0="$t0" '{ printf "%.0f", ($3 - t0) / 1e6 }')
	sleep 1 # let start-up settle (supervisord counts a start after 1 s)
	pids=$(sup_pids "$SPID" "$name")
	rss=$(sum_rss $pids)
	c0=$(sum_schedstat $pids)
	x0=$(sum_ctxt $pids)
	sleep "$IDLE"
	pids=$(sup_pids "$SPID" "$name")
	c1=$(sum_schedstat $pids)
	x1=$(sum_ctxt $pids)
	restart=$(awk 'NR > 1 { print ($3 - last) / 1e6 - 2000 } { last = $3 }' "$W/exiter" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.1f (%d)", v[int((NR + 1) / 2)], NR; else print "-" }')
	stop_sup "$name"
	printf '%-12s %5s %10s %10s %12s %9s %12s %9s\n' "$name" "$n" "$start_ms ms" \
		"$(awk -v c="$start_cpu" 'BEGIN { printf "%.1f ms", c / 1e6 }')" \
		"$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f ms", (b - a) / 1e6 }')" \
		"$((x1 - x0))" "$restart" "$rss MB"
}

# timer wake-ups: N sleepers only, 5 quiet seconds
run_idle() { # NAME N
	start_"$1" "$2" 0
	PIDS=$SPID
	wait_lines "$W/starts" "$2" 30
	sleep 1.5
	pids=$(sup_pids "$SPID" "$1")
	x0=$(sum_ctxt $pids)
	sleep 5
	x1=$(sum_ctxt $pids)
	stop_sup "$1"
	printf '%-12s %5s  %d context switches in 5 s with only the sleepers\n' "$1" "$2" "$((x1 - x0))"
}

have() { command -v "$1" >/dev/null 2>&1; }
if [ -z "${SUPS:-}" ]; then
	SUPS=appbuild
	have supervisord && SUPS="$SUPS supervisord" ||
		echo "supervisord not installed: skipped (apt-get install supervisor)"
	have s6-svscan && SUPS="$SUPS s6" || echo "s6 not installed: skipped (apt-get install s6)"
	SUPS="$SUPS floor"
fi

echo "supervisor benchmark: N sleepers + one child that exits 1 after 2 s; ${IDLE} s measured"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if have perf; then
	for c in "$W/tchild --exit-after 0" /bin/true; do
		perf stat -r 20 -x, -e task-clock $c 2>&1 >/dev/null | awk -F, -v c="${c##*/}" \
			'/task-clock/ { printf "exec: %s costs %.2f ms of CPU (perf stat, 20 runs)\n", c, $1 }'
	done
fi
printf '%-12s %5s %10s %10s %12s %9s %12s %9s\n' supervisor N start "start cpu" "cpu/${IDLE}s" wakeups \
	"restart ms" rss
for n in ${NS:-10 100}; do
	for s in $SUPS; do
		run_one "$s" "$n"
	done
done
echo
for s in $SUPS; do
	run_idle "$s" 100
done
