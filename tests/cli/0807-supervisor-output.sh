#!/bin/sh
# appbuild-supervisor (issue #8): each instance's stdout and stderr are
# forwarded line by line with a "name.N | " prefix, or written to
# run_dir/logs/NAME.N.log with size-based rotation; the environment and the
# working directory reach the child.
. "$(dirname "$0")/../supervisor/lib.sh"

mkdir -p "$T/app"
write_config <<EOF2
processes:
  talk:
    command: "echo out \$SUPERVISOR_PROCESS.\$SUPERVISOR_INSTANCE \$GREETING \$(pwd); echo err >&2; printf 'no newline'"
    instances: 2
    environment: {GREETING: hello, HOME: ~}
    directory: app
    restart: on-failure
EOF2
start_sup
wait_until 10 '[ $(count_state exited) = 2 ]'
grep -qx "talk.0 | out talk.0 hello $T/app" "$T/sup.out" || fail "stdout: $(cat "$T/sup.out")"
grep -qx "talk.1 | out talk.1 hello $T/app" "$T/sup.out" || fail "stdout: $(cat "$T/sup.out")"
grep -qx "talk.1 | no newline" "$T/sup.out" || fail "partial line: $(cat "$T/sup.out")"
grep -qx "talk.0 | err" "$T/sup.err" || fail "stderr: $(cat "$T/sup.err")"
[ "$(grep -c '^talk' "$T/sup.out")" = 4 ] || fail "stdout: $(cat "$T/sup.out")"
ctl stop
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"

# files: 3000 lines of 100 bytes into 64 KiB logs, two backups kept
write_config <<EOF2
output: files
log_max_bytes: 65536
log_backups: 2
processes:
  chatty:
    command: "i=0; while [ \$i -lt 3000 ]; do printf '%099d\\\\n' \$i; i=\$((i+1)); done; echo done >&2"
    restart: never
EOF2
start_sup
wait_until 10 '[ $(count_state exited) = 1 ]'
ctl stop
wait_exit 10
L=$T/run/logs
[ -f "$L/chatty.0.log" ] && [ -f "$L/chatty.0.log.1" ] && [ -f "$L/chatty.0.log.2" ] &&
	[ ! -e "$L/chatty.0.log.3" ] || fail "log files: $(ls "$L")"
for f in "$L"/chatty.0.log*; do
	[ "$(stat -c %s "$f")" -le 65536 ] || fail "$f is $(stat -c %s "$f") bytes"
done
tail -n 1 "$L/chatty.0.log" | grep -qx done || fail "last line: $(tail -n 1 "$L/chatty.0.log")"
grep -qx "$(printf '%099d' 2999)" "$L/chatty.0.log" || fail "line 2999 missing"
# no line was cut in two by a rotation
cat "$L/chatty.0.log.2" "$L/chatty.0.log.1" "$L/chatty.0.log" | grep -v '^done$' |
	awk 'length($0) != 99 { exit 1 }' || fail "a line was split"
exit 0
