#!/bin/sh
# appbuild-supervisor (issue #8): SIGHUP re-reads the config: a new process
# starts, a removed one stops, a changed instance count applies, and the
# kept processes get a rolling restart with the new definition.
. "$(dirname "$0")/../supervisor/lib.sh"

write_config <<EOF2
processes:
  keep:
    command: [$TCHILD, --log, $T/keep]
    instances: 2
  gone:
    command: [$TCHILD]
EOF2
start_sup
wait_until 10 '[ $(count_state running) = 3 ]'
write_config <<EOF2
processes:
  new:
    command: [$TCHILD]
  keep:
    command: [$TCHILD, --log, $T/keep]
    instances: 3
    environment: {VERSION: "2"}
EOF2
kill -HUP "$SPID"
wait_until 10 'grep -q "rolling restart of .keep. done" "$T/sup.err"'
wait_until 5 '[ $(count_state running) = 4 ]'
ctl status
printf 'new.0\nkeep.0\nkeep.1\nkeep.2\n' >"$T/want"
cut -d' ' -f1 "$T/ctl.out" >"$T/got"
cmp -s "$T/want" "$T/got" || fail "status after reload: $(cat "$T/ctl.out")"
grep -q "gone.0 exited: killed by SIGTERM" "$T/sup.err" || fail "gone was not stopped"
# keep.0 and keep.1 restarted once by the roll, keep.2 started new: 2 + 3 starts
[ "$(wc -l <"$T/keep")" = 5 ] || fail "$(wc -l <"$T/keep") starts of keep, expected 5"
for pid in $(strays); do
	if grep -q "^SUPERVISOR_PROCESS=keep$" /proc/"$pid"/environ 2>/dev/null; then
		tr '\0' '\n' </proc/"$pid"/environ | grep -qx VERSION=2 || fail "keep $pid runs the old definition"
	fi
done
ctl stop
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
[ -z "$(strays)" ] || fail "processes left: $(strays | wc -l)"
exit 0
