#!/bin/sh
# appbuild bundle with `supervisor: supervisord`: etc/supervisord.conf is
# rendered with the root placeholder @ROOT@ (no build path in it), and the
# unpacked bundle (elsewhere) serves HTTP under supervisord through
# bin/launch start / status / stop, leaving nothing running.
. "$(dirname "$0")/lib/common.sh"
need_shared
command -v supervisord >/dev/null && command -v supervisorctl >/dev/null || {
	echo "$0: supervisord is not installed (Debian package supervisor)" >&2
	exit 1
}
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$T/tmp" "$T/x"
U=$T/unpacked/else
R=$U/flask-hello-1.0.0
stop_app() {
	[ -x "$R/bin/launch" ] && timeout 30 "$R/bin/launch" stop >/dev/null 2>&1
	# a safety net: whatever still runs from the (unique) unpacked root
	for p in $(pgrep -f "$R/"); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap stop_app EXIT

cp -r "$TOP/examples/flask-hello" "$T/x/"
rm -rf "$T/x/flask-hello/dist" "$T/x/flask-hello/dependencies.lock"
sed -i 's/^supervisor: builtin$/supervisor: supervisord/' "$T/x/flask-hello/appbuild.yaml"
grep -q '^supervisor: supervisord$' "$T/x/flask-hello/appbuild.yaml" || fail "no supervisor line"

run bundle "$T/x/flask-hello" $C
expect_rc 0
A=$T/x/flask-hello/dist/flask-hello-1.0.0.tar.gz
[ -f "$A" ] || fail "no $A"

mkdir -p "$U"
tar xzf "$A" -C "$U" || fail "cannot unpack"
for f in bin/launch etc/supervisord.conf etc/supervisor.yaml; do
	[ -e "$R/$f" ] || fail "no $f in the bundle"
done
grep -q '^\[program:web\]' "$R/etc/supervisord.conf" || fail "no [program:web]"
grep -q '@ROOT@/run/supervisord.sock' "$R/etc/supervisord.conf" || fail "no @ROOT@ placeholder"
grep -qF "$T/" "$R/etc/supervisord.conf" && fail "a build path is in supervisord.conf"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BIND=127.0.0.1:$PORT timeout 30 "$R/bin/launch" start >"$T/out" 2>&1 || {
	cat "$T/out" "$R/run/supervisord.log" >&2
	fail "launch start"
}
grep -q 'supervisord' "$T/out" || fail "start: $(cat "$T/out")"
[ -f "$R/run/supervisord.conf" ] || fail "no run/supervisord.conf"
grep -q '@ROOT@' "$R/run/supervisord.conf" && fail "@ROOT@ left in run/supervisord.conf"
[ -d "$R/run/logs" ] || fail "no run/logs"
ok=
i=0
while [ $i -lt 150 ]; do
	if "$R/venv/bin/python" -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
		"http://127.0.0.1:$PORT/?name=supervisord" >"$T/page" 2>/dev/null; then
		ok=1
		break
	fi
	i=$((i + 1))
	sleep 0.1
done
[ -n "$ok" ] || { cat "$R/run/supervisord.log" "$R"/run/logs/* >&2; fail "no HTTP answer on $PORT"; }
grep -q 'supervisord' "$T/page" || fail "unexpected page: $(cat "$T/page")"
timeout 20 "$R/bin/launch" status >"$T/out" 2>&1 || fail "launch status: $(cat "$T/out")"
grep -Eq '^web:web_0 +(STARTING|RUNNING)' "$T/out" || fail "status: $(cat "$T/out")"
timeout 30 "$R/bin/launch" stop >"$T/out" 2>&1 || fail "launch stop: $(cat "$T/out")"
"$R/bin/launch" status >/dev/null 2>&1 && fail "still running after stop"
i=0
while pgrep -f "$R/" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "left running: $(pgrep -af "$R/")"
	sleep 0.1
done
exit 0
