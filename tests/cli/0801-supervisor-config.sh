#!/bin/sh
# appbuild-supervisor (issue #8): `check` accepts a full supervisor.yaml and
# reports each error at its file:line:col; usage errors exit 2.
. "$(dirname "$0")/../supervisor/lib.sh"

expect_check() { # rc, then the expected stderr on stdin
	want_rc=$1
	"$SUP" check "$T/c.yaml" >"$T/out" 2>"$T/err"
	rc=$?
	cat >"$T/want"
	[ "$rc" = "$want_rc" ] || { cat "$T/err" >&2; fail "exit status $rc, expected $want_rc"; }
	sed "s|$T/||" "$T/err" >"$T/err2"
	cmp -s "$T/want" "$T/err2" || { diff -u "$T/want" "$T/err2" >&2; fail "stderr differs"; }
}

cat >"$T/c.yaml" <<'Y'
run_dir: run
output: files
log_max_bytes: 1048576
log_backups: 3
processes:
  web:
    command: [gunicorn, -b, "127.0.0.1:8000", "app:app"]
    instances: 2
    environment: {PYTHONUNBUFFERED: "1", DEBUG: ~}
    directory: app
    stop_signal: SIGQUIT
    stop_timeout: 1.5
    restart: on-failure
    start_delay: 200ms
    ready: {tcp: "127.0.0.1:8000", timeout: 1m, interval: 50ms}
    start_window: 2s
    backoff: {initial: 100ms, max: 10s}
    flapping: {restarts: 5, window: 30s}
    fatal_exits_supervisor: true
  worker: celery -A app worker
  cron:
    command: "while sleep 60; do ./tick; done"
    instances: 0
    ready: {command: [true]}
Y
expect_check 0 </dev/null
printf 'web: 2 instances, restart on-failure\nworker: 1 instance, restart always\ncron: 0 instances, restart always\n' >"$T/want"
cmp -s "$T/want" "$T/out" || fail "check output: $(cat "$T/out")"

printf 'processes:\n  web:\n    command: x\n    instancs: 2\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:4:5: error: unknown key 'instancs' in process 'web'
  note: expected one of 'command', 'instances', 'environment', 'directory', 'stop_signal', 'stop_timeout', 'restart', 'start_delay', 'ready', 'start_window', 'backoff', 'flapping', 'fatal_exits_supervisor', 'listen'
E

printf 'processes:\n  web:\n    command: x\n    restart: sometimes\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:4:14: error: invalid value 'sometimes' for 'restart'
  note: expected one of 'always', 'on-failure', 'never'
E

printf 'processes:\n  web: {command: x, stop_timeout: 10 years}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:35: error: invalid value '10 years' for 'stop_timeout' (expected seconds, or a number with ms, s, m or h, at most a day)
E

printf 'processes:\n  web: {command: [], instances: 2}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:18: error: empty 'command'
E

printf 'processes:\n  web: x\n  web: y\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:3:3: error: duplicate process 'web'
  note: first defined at line 2
E

printf 'processes:\n  web: {command: x, instances: 10001}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:32: error: 'instances' must be between 0 and 10000
E

printf 'processes:\n  web: {command: x, ready: {tcp: "example.com:80"}}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:34: error: invalid value 'example.com:80' for 'tcp' (the host must be an IP address)
E

printf 'processes:\n  web: {command: x, ready: {timeout: 1s}}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:28: error: 'ready' needs 'tcp', 'command' or 'notify: true'
E

printf 'processes:\n  web: {command: x, stop_signal: SIGFOO}\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:2:34: error: invalid value 'SIGFOO' for 'stop_signal' (expected a signal name such as TERM or a number)
E

printf 'processes:\n  web: "unterminated\n' >"$T/c.yaml"
expect_check 3 <<'E'
c.yaml:3:1: error: found unexpected end of stream
  note: while scanning a quoted scalar at line 2, column 8
E

"$SUP" check "$T/missing.yaml" 2>"$T/err"
[ $? = 5 ] || fail "missing config: exit status"
grep -q "missing.yaml: error: cannot read: No such file or directory" "$T/err" || fail "$(cat "$T/err")"

"$SUP" frobnicate 2>"$T/err"
[ $? = 2 ] || fail "unknown command: exit status"
"$SUP" run 2>"$T/err"
[ $? = 2 ] || fail "run without config: exit status"
"$SUP" ctl status 2>"$T/err"
[ $? = 2 ] || fail "ctl without socket: exit status"
"$SUP" ctl --run-dir "$T/nowhere" status 2>"$T/err"
[ $? = 5 ] || fail "ctl without a supervisor: exit status"
grep -q "cannot connect to the supervisor" "$T/err" || fail "$(cat "$T/err")"
"$SUP" --help | grep -q '^usage: appbuild-supervisor run' || fail "--help"
exit 0
