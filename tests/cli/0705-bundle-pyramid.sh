#!/bin/sh
# appbuild bundle on examples/pyramid-app over ../shared/pyindex, unpacked
# under another path: bin/launch check passes (python3.11 on PATH, tzdata
# installed, and a pkg-config module at a version that satisfies the
# specifier; without pkg-config a note, with too old a version a clear
# miss); bin/launch start serves the home page and a time-zone page (the
# system's zone database); SIGTERM stops the supervisor and the waitress
# server within 10 s, leaving no process.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/serve.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX --no-compile"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$T/tmp" "$T/src" "$T/pc"
R=$T/unpacked/a/different/path/pyramid-app-0.3.0
cleanup() {
	kill_leftovers "$R"
	rm -rf "$T"
}
trap cleanup EXIT

A=$T/src/pyramid-app
cp -r "$TOP/examples/pyramid-app" "$T/src/"
rm -rf "$A/dist" "$A/dependencies.lock"
# the port comes from $BIND, so the test can pick a free one
sed -i 's/--listen=127\.0\.0\.1:6543/--listen="$BIND"/' "$A/appbuild.yaml"
grep -q 'listen="$BIND"' "$A/appbuild.yaml" || fail "no listen address in appbuild.yaml"
# a dependency only pkg-config knows (a module of our own: hermetic)
echo 'appbuild-test-module (>=1.2, <2)' >>"$A/external-dependencies.txt"
printf 'Name: appbuild-test-module\nDescription: test\nVersion: 1.5\n' >"$T/pc/appbuild-test-module.pc"

run bundle "$A" $C
expect_rc 0
B=$A/dist/pyramid-app-0.3.0.tar.gz
expect_out_has "$B sha256:$(sha256sum "$B" | cut -d' ' -f1)"
[ -z "$(ls "$T/tmp")" ] || fail "the staging directory was left behind"
mkdir -p "$(dirname "$R")"
tar xzf "$B" -C "$(dirname "$R")" || fail "cannot unpack"
[ -x "$R/venv/bin/waitress-serve" ] || fail "no waitress-serve in the bundle"
[ -f "$R/app/greeter/__init__.py" ] || fail "the app's package is missing"
if grep -rlF -e "$T/src" -e "$T/tmp" "$R"; then
	fail "a build path is in the bundle"
fi

PKG_CONFIG_PATH=$T/pc "$R/bin/launch" check >"$T/out" 2>&1 || {
	cat "$T/out" >&2
	fail "launch check"
}
grep -qx 'launch: external dependencies: ok' "$T/out" || fail "launch check: $(cat "$T/out")"

# no pkg-config: skipped with a note, so the module counts as missing
PKG_CONFIG=/nonexistent/pkg-config "$R/bin/launch" check >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || fail "launch check without pkg-config: exit status $rc: $(cat "$T/out" "$T/err")"
grep -qx 'launch: note: /nonexistent/pkg-config is not on PATH: names only pkg-config knows were not checked' "$T/err" ||
	fail "no note: $(cat "$T/err")"
grep -q '^launch: missing: external dependency appbuild-test-module (no command, shared library' "$T/err" ||
	fail "no miss: $(cat "$T/err")"
grep -q 'tzdata\|python3.11' "$T/err" && fail "a present dependency reported missing: $(cat "$T/err")"

# the module at a version outside the specifier
printf 'Name: appbuild-test-module\nDescription: test\nVersion: 2.0\n' >"$T/pc/appbuild-test-module.pc"
PKG_CONFIG_PATH=$T/pc "$R/bin/launch" check >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || fail "launch check with version 2.0: exit status $rc: $(cat "$T/out" "$T/err")"
grep -qx 'launch: missing: external dependency appbuild-test-module (>=1.2,<2): pkg-config has version 2.0' "$T/err" ||
	fail "no version miss: $(cat "$T/err")"

PORT=$(free_port)
BIND=127.0.0.1:$PORT timeout 30 "$R/bin/launch" start >"$T/out" 2>&1 || {
	cat "$T/out" "$R/run/supervisor.log" >&2
	fail "launch start"
}
http_get "http://127.0.0.1:$PORT/" "$T/page" || {
	cat "$R/run/supervisor.log" >&2
	fail "no HTTP answer on $PORT"
}
grep -qx 'Hello from Pyramid! Try /time/Europe/Paris' "$T/page" || fail "unexpected page: $(cat "$T/page")"
http_get "http://127.0.0.1:$PORT/time/Asia/Tokyo" "$T/page" || fail "no time page"
grep -q '"zone": "Asia/Tokyo", "time": "[0-9T:-]*+09:00"' "$T/page" || fail "unexpected time page: $(cat "$T/page")"
[ -n "$(from_root "$R")" ] || fail "no process runs from the bundle"
sigterm_stop "$R"
python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0)' "$PORT" ||
	fail "port $PORT still answers after SIGTERM"
exit 0
