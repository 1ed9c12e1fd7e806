#!/bin/sh
# appbuild-supervisor (issue #8): the control socket is 0600 and refuses
# other users (SO_PEERCRED) and garbage; restart NAME is a rolling restart
# that waits for readiness (a TCP port), so one instance always serves;
# signal NAME SIG; reload; stats over HTTP.
. "$(dirname "$0")/../supervisor/lib.sh"

port=$((20000 + $$ % 20000))
write_config <<EOF2
processes:
  web:
    command: "exec $TCHILD --log $T/starts --listen \$((${port} + SUPERVISOR_INSTANCE)) --listen-delay 0.3"
    instances: 2
    ready: {tcp: "127.0.0.1:$port", interval: 20ms, timeout: 5s}
    stop_timeout: 2s
EOF2
start_sup --stats-http "127.0.0.1:$((port + 10))"
wait_until 10 '[ $(count_state running) = 2 ]'
grep -q "web.0 ready after 0\.[3-9]" "$T/sup.err" || fail "readiness: $(grep ready "$T/sup.err")"
[ "$(stat -c %a "$T/run/supervisor.sock")" = 600 ] || fail "socket mode $(stat -c %a "$T/run/supervisor.sock")"

# rolling restart: sample the status while it runs; one instance is always up
ctl restart web
[ "$CTL_RC" = 0 ] || fail "restart: $(cat "$T/ctl.err")"
i=0
while [ $i -lt 60 ]; do
	ctl status
	[ "$(grep -c ' running ' "$T/ctl.out")" -ge 1 ] || fail "no instance running: $(cat "$T/ctl.out")"
	grep -q "rolling restart of 'web' done" "$T/sup.err" && break
	sleep 0.05
	i=$((i + 1))
done
wait_until 5 "grep -q \"rolling restart of 'web' done\" '$T/sup.err'"
[ "$(wc -l <"$T/starts")" = 4 ] || fail "$(wc -l <"$T/starts") starts, expected 4"
# web.0 was ready again before web.1 was stopped
ready0=$(grep -n 'web.0 ready after' "$T/sup.err" | sed -n 2p | cut -d: -f1)
exit1=$(grep -n 'web.1 exited' "$T/sup.err" | head -n 1 | cut -d: -f1)
[ -n "$ready0" ] && [ "$ready0" -lt "$exit1" ] || fail "web.1 stopped before web.0 was ready"

# signal goes to the leader; SIGTERM ends it, it is restarted
ctl signal web.1 TERM
[ "$CTL_RC" = 0 ] || fail "signal: $(cat "$T/ctl.err")"
wait_until 5 'ctl status web.1; grep -q "^web.1 running .* restarts=1$" "$T/ctl.out"'

# stats over HTTP: the status plus CPU and RSS per instance
python3 - "$((port + 10))" >"$T/http" <<'PY' || fail "http: $(cat "$T/http")"
import json, sys, urllib.request
doc = json.load(urllib.request.urlopen("http://127.0.0.1:%s/status" % sys.argv[1], timeout=5))
insts = doc["processes"][0]["instances"]
assert len(insts) == 2 and all(i["state"] == "running" for i in insts), doc
assert all(i["rss"] > 0 and i["cpu"] >= 0 for i in insts), doc
assert doc["rss"] > 0, doc
try:
    urllib.request.urlopen("http://127.0.0.1:%s/nope" % sys.argv[1], timeout=5)
    raise SystemExit("no 404")
except urllib.error.HTTPError as e:
    assert e.code == 404
PY

# garbage: binary bytes, NULs, an overlong line, many bad lines; each gets an
# error, the supervisor carries on
python3 - "$T/run/supervisor.sock" >"$T/garbage" <<'PY' || fail "garbage: $(cat "$T/garbage")"
import os, random, socket, sys
random.seed(8)
def talk(data):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out
assert talk(b"\x00\xff\xfe status\n") .startswith(b"error: column 1: unexpected byte"), 1
assert talk(b"x" * 10000 + b"\n") == b"error: line too long\n", 2
assert talk(b"scale web=-1\nsignal web.7 TERM\nrestart we$b\n\n") == (
    b"error: column 11: expected a count from 0 to 10000\n"
    b"error: no instance 'web.7'\n"
    b"error: column 11: unexpected character in process name\n"
    b"error: column 1: empty command\n"), 3
for _ in range(200):
    junk = bytes(random.randrange(256) for _ in range(random.randrange(1, 300)))
    out = talk(junk.replace(b"\n", b"") + b"\n")
    assert out.startswith(b"error: ") or out.startswith(b"ok") or b"running" in out, out
print(talk(b"status\n").decode())
PY
grep -q '^web.0 running' "$T/garbage" || fail "status after garbage: $(cat "$T/garbage")"

# other users: refused by the mode, and by SO_PEERCRED when the mode is opened
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SUP" ctl --run-dir "$T/run" status \
		>"$T/out" 2>"$T/err"
	[ $? = 5 ] && grep -q "Permission denied" "$T/err" || fail "nobody: $(cat "$T/err")"
	chmod 0777 "$T" "$T/run"
	chmod 0666 "$T/run/supervisor.sock"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SUP" ctl --run-dir "$T/run" stop \
		>"$T/out" 2>"$T/err"
	[ $? = 1 ] && grep -qx "error: permission denied" "$T/err" || fail "nobody: $(cat "$T/err")"
	grep -q "control socket: refused uid 65534" "$T/sup.err" || fail "no refusal logged"
	chmod 0600 "$T/run/supervisor.sock"
else
	echo "skipped: other-user checks (need root and setpriv)"
fi

# reload: a broken config is refused and the old one keeps running
cp "$T/supervisor.yaml" "$T/good.yaml"
printf 'processes:\n  web: {command: x, instances: many}\n' >>"$T/supervisor.yaml"
ctl reload
[ "$CTL_RC" = 1 ] || fail "reload of a broken config succeeded"
grep -q "supervisor.yaml:.*error: " "$T/ctl.err" || fail "reload error: $(cat "$T/ctl.err")"
cp "$T/good.yaml" "$T/supervisor.yaml"
ctl stop
[ "$CTL_RC" = 0 ] || fail "stop: $(cat "$T/ctl.err")"
wait_exit 10
[ "$SUP_RC" = 0 ] || fail "supervisor exit status $SUP_RC"
[ -z "$(strays)" ] || fail "processes left: $(strays | wc -l)"
exit 0
