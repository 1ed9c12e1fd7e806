#!/bin/sh
# appbuild-supervisor (issue #8): a flood of signals during start-up and
# shutdown changes nothing; a flood of HUPs coalesces into at most two
# rolling restarts; TERM stops everything in reverse start order.
. "$(dirname "$0")/../supervisor/lib.sh"

flood() { # PID SIGNAL... : 30 rounds
	i=0
	while [ $i -lt 30 ] && kill -0 "$1" 2>/dev/null; do
		for sig in $2; do kill -"$sig" "$1" 2>/dev/null; done
		i=$((i + 1))
	done
}

write_config <<EOF2
processes:
  db:
    command: [$TCHILD, --log, $T/starts]
    instances: 2
  web:
    command: [$TCHILD, --log, $T/starts]
    instances: 20
EOF2
"$SUP" run "$T/supervisor.yaml" >"$T/sup.out" 2>"$T/sup.err" &
SPID=$!
# from main()'s first line on (before it, the dynamic loader and ASan's
# start-up run with default dispositions, as for any program)
wait_until 5 'grep -q "^SigBlk:.*[1-9a-f]" /proc/$SPID/status'
flood "$SPID" "USR1 USR2 ALRM WINCH PIPE CHLD URG CONT TTIN TTOU TSTP PWR IO PROF VTALRM XCPU"
wait_until 10 test -S "$T/run/supervisor.sock"
flood "$SPID" "USR1 USR2 ALRM WINCH PIPE CHLD URG CONT TTIN TTOU TSTP PWR"
wait_until 10 '[ $(count_state running) = 22 ]'
sleep 0.2
[ "$(wc -l <"$T/starts")" = 22 ] || fail "$(wc -l <"$T/starts") starts, expected 22"
ctl status
grep -q 'restarts=[1-9]' "$T/ctl.out" && fail "restarts: $(cat "$T/ctl.out")"
grep -q "exited" "$T/sup.err" && fail "an instance exited: $(grep exited "$T/sup.err")"

# 30 HUPs: reloads coalesce, at most two rolling rounds of 22
flood "$SPID" HUP
wait_until 15 'grep -q "rolling restart of .web. done" "$T/sup.err" && [ $(count_state running) = 22 ]'
sleep 0.5
wait_until 15 '[ $(count_state running) = 22 ]'
n=$(wc -l <"$T/starts")
[ "$n" -ge 44 ] && [ "$n" -le 66 ] || fail "$n starts after the HUP flood, expected 44..66"
[ "$(strays | wc -l)" = 22 ] || fail "$(strays | wc -l) processes, expected 22"

# TERM, then a flood of everything during the shutdown
kill -TERM "$SPID"
flood "$SPID" "TERM INT QUIT HUP USR1 CHLD ALRM"
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
[ -z "$(strays)" ] || fail "processes left: $(strays | wc -l)"
[ "$(grep -c 'stopping everything' "$T/sup.err")" = 1 ] || fail "stopped more than once"
# reverse start order: every web instance exits before the first db one
last_web=$(grep -n 'web\.[0-9]* exited' "$T/sup.err" | tail -n 1 | cut -d: -f1)
first_db=$(grep -n 'db\.[0-9]* exited' "$T/sup.err" | tail -n 2 | head -n 1 | cut -d: -f1)
[ "$last_web" -lt "$first_db" ] || fail "db stopped before web"
exit 0
