#!/bin/sh
# test: serial
# appbuild-supervisor (issue #8): a crash-looping child is restarted with
# growing delays, then marked fatal, which stops the supervisor with status 1
# (fatal_exits_supervisor); an exit after the start window restarts at once;
# restart policies never and on-failure.
. "$(dirname "$0")/../supervisor/lib.sh"

write_config <<EOF2
processes:
  steady:
    command: [$TCHILD]
  crash:
    command: [$TCHILD, --log, $T/crash.log, --exit-after, "0", --code, "1"]
    backoff: {initial: 50ms, max: 1s}
    flapping: {restarts: 4, window: 60s}
    fatal_exits_supervisor: true
EOF2
start_sup
wait_exit 15
[ "$SUP_RC" = 1 ] || fail "supervisor exit status $SUP_RC, expected 1"
grep -q "crash.0 is fatal: more than 4 restarts within 60s" "$T/sup.err" || fail "no fatal line"
grep -q "stopping: 'crash' is fatal and has fatal_exits_supervisor" "$T/sup.err" || fail "no stop line"
[ "$(wc -l <"$T/crash.log")" = 5 ] || fail "$(wc -l <"$T/crash.log") starts, expected 5"
# The delays between starts grow: 50, 100, 200, 400 ms (from the third on, each
# at least 1.5x the last: the first ones carry start-up noise under ASan).
awk '{ t = $3 / 1e6; if (NR > 1) { d = t - last; if (NR > 3 && d < prev * 1.5) bad = 1;
	if (d < 45) bad = 1; printf "%d ", d; prev = d } last = t }
	END { print ""; exit bad }' "$T/crash.log" >"$T/gaps" || fail "delays do not grow: $(cat "$T/gaps")"
[ -z "$(strays)" ] || fail "processes left: $(strays)"

# Without fatal_exits_supervisor it stays fatal and the rest keeps running;
# `start` gives it a fresh chance. An exit after the start window restarts
# at once; restart policies never and on-failure.
rm -f "$T/crash.log"
write_config <<EOF2
processes:
  crash:
    command: [$TCHILD, --log, $T/crash.log, --exit-after, "0", --code, "1"]
    backoff: {initial: 10ms, max: 10ms}
    flapping: {restarts: 2, window: 60s}
  late:
    command: [$TCHILD, --log, $T/late.log, --exit-after, "0.3", --code, "1"]
    start_window: 100ms
  once:
    command: [$TCHILD, --exit-after, "0", --code, "1"]
    restart: never
  clean:
    command: [$TCHILD, --exit-after, "0"]
    restart: on-failure
EOF2
start_sup
wait_until 10 'grep -q "crash.0 is fatal" "$T/sup.err"' 
ctl status
grep -q '^crash.0 fatal pid=0 ' "$T/ctl.out" || fail "status: $(cat "$T/ctl.out")"
wait_until 5 '[ $(wc -l <"$T/late.log") -ge 3 ]' 
ctl status
grep -q '^once.0 exited pid=0 uptime=0.0 restarts=0$' "$T/ctl.out" || fail "once: $(cat "$T/ctl.out")"
grep -q '^clean.0 exited pid=0 uptime=0.0 restarts=0$' "$T/ctl.out" || fail "clean: $(cat "$T/ctl.out")"
ctl status --json crash
grep -q '"fatal_reason":"crash.0: more than 2 restarts within 60s"' "$T/ctl.out" ||
	fail "json: $(cat "$T/ctl.out")"
# late runs 0.3 s, past its 100 ms start window: restarted within 100 ms
# (20 ms in the release build; this one runs under ASan).
awk '{ t = $3 / 1e6; if (NR > 1) { d = t - last - 300; if (d > 100 || d < 0) bad = 1;
	printf "%d ", d } last = t } END { print ""; exit bad }' "$T/late.log" >"$T/gaps" ||
	fail "late restarts: $(cat "$T/gaps")"
n=$(wc -l <"$T/crash.log")
ctl start crash
[ "$CTL_RC" = 0 ] || fail "start crash: $(cat "$T/ctl.err")"
wait_until 5 "[ \$(wc -l <'$T/crash.log') -ge $((n + 3)) ]"
kill -TERM "$SPID"
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC after TERM"
[ -z "$(strays)" ] || fail "processes left: $(strays)"
exit 0
