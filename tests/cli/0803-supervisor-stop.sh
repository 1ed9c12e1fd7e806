#!/bin/sh
# appbuild-supervisor (issue #8): stop = stop signal to the process group,
# SIGKILL to the group after stop_timeout. A child that ignores SIGTERM is
# killed after the timeout; a child's children never survive a stop; orphans
# are reaped as a child subreaper, and as PID 1 (unshare --pid --fork).
. "$(dirname "$0")/../supervisor/lib.sh"

# orphans reaped so far, per `status --json`
reaped() {
	ctl status --json
	sed -n 's/.*"orphans_reaped":\([0-9]*\).*/\1/p' "$T/ctl.out"
}

write_config <<EOF2
processes:
  stubborn:
    command: [$TCHILD, --ignore-term, --fork, "2"]
    stop_timeout: 500ms
  family:
    command: [$TCHILD, --fork, "3"]
    instances: 2
  shell:
    command: "$TCHILD --fork 2 & $TCHILD & wait"
  orphans:
    command: [$TCHILD, --orphans, "5", --exit-after, "0.5"]
    restart: never
EOF2
start_sup
# 1 + 2 stubborn, 2 x (1 + 3) family, 1 + 2 + 1 shell, orphan makers
wait_until 10 '[ $(count_state running) -ge 4 ]'
wait_until 5 "grep -q 'orphans.0 exited' '$T/sup.err'"
wait_until 5 '[ $(reaped) -ge 10 ]' 
[ -z "$(zombies "$SPID")" ] || fail "zombies: $(zombies "$SPID")"
ctl stop family.1
[ "$CTL_RC" = 0 ] || fail "stop family.1: $(cat "$T/ctl.err")"
wait_until 5 'ctl status family.1; grep -q "^family.1 stopped pid=0" "$T/ctl.out"' 
ctl signal stubborn TERM
sleep 0.2
ctl status stubborn
grep -q '^stubborn.0 running' "$T/ctl.out" || fail "stubborn died of TERM: $(cat "$T/ctl.out")"
t0=$(now_ms)
ctl stop
[ "$CTL_RC" = 0 ] || fail "stop: $(cat "$T/ctl.err")"
t1=$(now_ms)
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
# `stop` answers once everything is down: after the 500 ms timeout, well before 3 s
[ $((t1 - t0)) -ge 450 ] && [ $((t1 - t0)) -lt 3000 ] || fail "stop took $((t1 - t0)) ms"
grep -q "stubborn.0 did not stop within 0.5s, killing its process group" "$T/sup.err" ||
	fail "no kill line"
grep -q "stubborn.0 exited: killed by SIGKILL" "$T/sup.err" || fail "stubborn not killed"
[ -z "$(strays)" ] || fail "processes left after stop: $(strays)"
[ ! -e "$T/run/supervisor.sock" ] || fail "socket left behind"

# As PID 1 of a new PID namespace (root only; skipped elsewhere).
if [ "$(id -u)" = 0 ] && unshare --pid --fork true 2>/dev/null; then
	write_config <<EOF2
processes:
  orphans:
    command: [$TCHILD, --orphans, "5", --fork, "2", --exit-after, "0.5"]
    restart: never
EOF2
	unshare --pid --fork "$SUP" run "$T/supervisor.yaml" >"$T/sup.out" 2>"$T/sup.err" &
	SPID=$!
	wait_until 10 test -S "$T/run/supervisor.sock"
	wait_until 5 "grep -q 'orphans.0 exited' '$T/sup.err'"
	wait_until 5 '[ $(reaped) -ge 10 ]' 
	grep -q '"pid":1,' "$T/ctl.out" || fail "not PID 1: $(cat "$T/ctl.out")"
	inner=$(cat /proc/$SPID/task/$SPID/children)
	[ -z "$(zombies "$inner")" ] || fail "zombies under PID 1: $(zombies "$inner")"
	kill -TERM "$inner"
	wait_exit 10
	[ "$SUP_RC" = 0 ] || fail "PID 1 supervisor exit status $SUP_RC"
	[ -z "$(strays)" ] || fail "processes left after PID 1 stop: $(strays)"
else
	echo "skipped: unshare --pid --fork (needs root)"
fi
exit 0
