#!/bin/sh
# appbuild-supervisor (issue #8): 100 instances start, are scaled down to 10
# and back up, and stop, with no zombie and no stray process (through /proc).
. "$(dirname "$0")/../supervisor/lib.sh"

write_config <<EOF2
processes:
  web:
    command: [$TCHILD, --log, $T/starts, --fork, "1"]
    instances: 100
    stop_timeout: 5s
EOF2
t0=$(now_ms)
start_sup
wait_until 10 '[ $(count_state running) = 100 ]'
t1=$(now_ms)
echo "100 running after $((t1 - t0)) ms (ASan build, including polling)"
[ "$(strays | wc -l)" = 200 ] || fail "$(strays | wc -l) processes, expected 200"
[ -z "$(zombies "$SPID")" ] || fail "zombies: $(zombies "$SPID")"

ctl scale web=10
[ "$CTL_RC" = 0 ] || fail "scale: $(cat "$T/ctl.err")"
wait_until 10 '[ $(strays | wc -l) = 20 ]'
ctl status
[ "$(wc -l <"$T/ctl.out")" = 10 ] || fail "status after scale down: $(cat "$T/ctl.out")"
[ "$(grep -c ' running ' "$T/ctl.out")" = 10 ] || fail "not running: $(cat "$T/ctl.out")"
grep -q '^web.9 running' "$T/ctl.out" || fail "web.9 missing: $(cat "$T/ctl.out")"
[ -z "$(zombies "$SPID")" ] || fail "zombies after scale down: $(zombies "$SPID")"

ctl scale web=100
wait_until 10 '[ $(count_state running) = 100 ]'
[ "$(strays | wc -l)" = 200 ] || fail "$(strays | wc -l) processes after scale up, expected 200"
ctl status --json
grep -q '"scale":100,' "$T/ctl.out" || fail "json: $(head -c 300 "$T/ctl.out")"
# nothing restarted: 100 + 90 starts
[ "$(wc -l <"$T/starts")" = 190 ] || fail "$(wc -l <"$T/starts") starts, expected 190"
grep -q 'restarts=[1-9]' "$T/ctl.out" && fail "restarts counted: $(grep 'restarts=[1-9]' "$T/ctl.out")"

# scale errors
ctl scale web=10001
[ "$CTL_RC" = 1 ] && grep -q "error: column 11: expected a count from 0 to 10000" "$T/ctl.err" ||
	fail "scale 10001: $(cat "$T/ctl.err")"
ctl scale nope=1
[ "$CTL_RC" = 1 ] && grep -q "error: no process 'nope'" "$T/ctl.err" || fail "$(cat "$T/ctl.err")"

t0=$(now_ms)
kill -TERM "$SPID"
wait_exit 10
t1=$(now_ms)
echo "100 stopped after $((t1 - t0)) ms"
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
[ -z "$(strays)" ] || fail "processes left: $(strays | wc -l)"
exit 0
