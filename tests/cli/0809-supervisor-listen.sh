#!/bin/sh
# appbuild-supervisor (issue #8): `listen` sockets are bound by the
# supervisor and passed to every instance as fds 3.. with LISTEN_FDS,
# LISTEN_PID (the instance's own pid, also through a shell command, which
# runs as `exec`) and LISTEN_FDNAMES; ready.notify counts an instance up on
# its READY=1; a reload keeps the same socket (same inode) for an unchanged
# address; a rolling restart runs an extra instance first; a port in use
# fails the start with the address named; the unix socket is removed at exit.
. "$(dirname "$0")/../supervisor/lib.sh"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# one answer line from 127.0.0.1:PORT (or the unix socket $1 when given)
ask() {
	python3 -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX if a.startswith("/") else socket.AF_INET)
s.settimeout(10)
s.connect(a if a.startswith("/") else ("127.0.0.1", int(a)))
print(s.makefile().readline().strip())' "${1:-$PORT}"
}
sock_inode() { # the inode of the supervisor's socket listening on $PORT
	hex=$(printf '%04X' "$PORT")
	awk -v h=":$hex" '$2 ~ h"$" && $4 == "0A" { print $10 }' /proc/net/tcp | head -1
}

SP_PORT_ENV=$PORT
export SP_PORT_ENV
write_config <<EOF2
processes:
  srv:
    command: '"$TCHILD" --serve --notify --listen-delay 0.3'
    instances: 2
    listen: ['127.0.0.1:\${SP_PORT_ENV}', 'unix:$T/srv.sock']
    ready: {notify: true, timeout: 10s}
EOF2
start_sup
wait_until 10 '[ $(count_state running) = 2 ]'
grep -q "srv.0 ready after 0\.[3-9]" "$T/sup.err" || fail "not ready after its READY=1: $(grep ready "$T/sup.err")"
ctl status srv.0
pid0=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' "$T/ctl.out")
[ "$(tr '\0' '\n' </proc/"$pid0"/cmdline | head -1)" = "$TCHILD" ] ||
	fail "the shell did not exec: pid $pid0 is $(tr '\0' ' ' </proc/"$pid0"/cmdline)"
ans=$(ask) || fail "no answer on $PORT"
case $ans in
"srv.0 "* | "srv.1 "*) ;;
*) fail "unexpected answer '$ans'" ;;
esac
[ "${ans##* }" = "srv:srv" ] || fail "LISTEN_FDNAMES: '$ans'"
ans=$(ask "$T/srv.sock") || fail "no answer on $T/srv.sock"
case $ans in "srv."[01]" "*) ;; *) fail "unix: unexpected answer '$ans'" ;; esac
ino=$(sock_inode)
[ -n "$ino" ] || fail "no socket listening on $PORT"

# a second supervisor on the same port
mkdir -p "$T/b"
sed "s|^run_dir: .*|run_dir: $T/b/run|; s|unix:$T/srv.sock|unix:$T/b/srv.sock|" "$T/supervisor.yaml" >"$T/b/s.yaml"
"$SUP" run "$T/b/s.yaml" >"$T/b/out" 2>"$T/b/err"
rc=$?
[ "$rc" = 5 ] || fail "second supervisor: exit status $rc, expected 5"
grep -q "process 'srv': cannot listen on '127.0.0.1:$PORT': Address already in use" "$T/b/err" ||
	fail "second supervisor: $(cat "$T/b/err")"

# reload: same address, same socket; every instance replaced, one extra first
kill -HUP "$SPID"
wait_until 20 'grep -q "rolling restart of .srv. done" "$T/sup.err"'
grep -q "srv.2 started" "$T/sup.err" || fail "no extra instance during the rolling restart"
wait_until 10 '[ $(count_state running) = 2 ]'
[ "$(sock_inode)" = "$ino" ] || fail "the socket changed across a reload"
ask >/dev/null || fail "no answer after the reload"

ctl stop
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
[ -z "$(strays)" ] || fail "processes left: $(strays | wc -l)"
[ ! -e "$T/srv.sock" ] || fail "the unix socket was left behind"
exit 0
