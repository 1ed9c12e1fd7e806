#!/bin/sh
# appbuild bundle on examples/flask-hello over ../shared/pyindex: the fresh
# lock is followed, the tarball is named and hashed on the last line, two
# builds in different directories are byte-identical (cold and warm cache,
# damaged cached tar segments), no build path lands
# in the bundle, and the unpacked bundle (elsewhere) serves HTTP through
# bin/launch start / status / stop.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$T/tmp" "$T/x" "$T/y/deeper/path"
U=$T/unpacked/somewhere/else
stop_app() {
	[ -x "$U/flask-hello-1.0.0/bin/launch" ] && "$U/flask-hello-1.0.0/bin/launch" stop >/dev/null 2>&1
	rm -rf "$T"
}
trap stop_app EXIT

# the port comes from $BIND, so the test can pick a free one
for d in "$T/x" "$T/y/deeper/path"; do
	cp -r "$TOP/examples/flask-hello" "$d/"
	rm -rf "$d/flask-hello/dist" "$d/flask-hello/dependencies.lock"
	sed -i 's/127\.0\.0\.1:8000/"$BIND"/' "$d/flask-hello/appbuild.yaml"
done
run lock "$T/x/flask-hello" $C
expect_rc 0
cp "$T/x/flask-hello/dependencies.lock" "$T/y/deeper/path/flask-hello/"

run bundle "$T/x/flask-hello" $C
expect_rc 0
A=$T/x/flask-hello/dist/flask-hello-1.0.0.tar.gz
[ -f "$A" ] || fail "no $A"
expect_out_has "$A sha256:$(sha256sum "$A" | cut -d' ' -f1)"
grep -q 'resolving' "$T/err" && fail "the fresh lock was not followed"
run bundle "$T/y/deeper/path/flask-hello" $C --no-compile -o "$T/nocompile.tar.xz"
expect_rc 0
run bundle "$T/y/deeper/path/flask-hello" $C
expect_rc 0
B=$T/y/deeper/path/flask-hello/dist/flask-hello-1.0.0.tar.gz
cmp -s "$A" "$B" || fail "two builds differ"
[ -z "$(ls "$T/tmp")" ] || fail "the staging directory was left behind"

# the second build took every compressed tar segment from the cache; damaged
# ones are found, compressed again and replaced: the bytes stay the same
run -v bundle "$T/y/deeper/path/flask-hello" $C -o "$T/warm.tar.gz"
expect_rc 0
grep -Eq 'bundle: ([0-9]+) tar.gz segments, \1 from the cache' "$T/err" ||
	fail "not every segment from the cache: $(grep segments "$T/err")"
n=0
for f in $(grep -rl 'appbuild-tar-segment:' "$T/cache/http"); do
	printf 'X' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 2)) conv=notrunc 2>/dev/null
	n=$((n + 1))
done
[ $n -gt 10 ] || fail "only $n tar segments in the cache"
run -v bundle "$T/y/deeper/path/flask-hello" $C -o "$T/damaged.tar.gz"
expect_rc 0
grep -q 'segments, 0 from the cache' "$T/err" || fail "damaged segments were used"
cmp -s "$A" "$T/damaged.tar.gz" || fail "damaged cached segments changed the bytes"
cmp -s "$A" "$T/warm.tar.gz" || fail "a warm build differs"

mkdir -p "$U"
tar xzf "$A" -C "$U" || fail "cannot unpack"
[ "$(ls "$U")" = flask-hello-1.0.0 ] || fail "not one top directory"
R=$U/flask-hello-1.0.0
for f in app/bin/wsgiapp app/dependencies.lock bin/launch bin/appbuild-supervisor \
	etc/supervisor.yaml appbuild.json sbom.cdx.json venv/pyvenv.cfg venv/bin/gunicorn; do
	[ -e "$R/$f" ] || fail "no $f in the bundle"
done
[ ! -e "$R/app/dist" ] || fail "dist/ was bundled"
if grep -rlF -e "$T/x" -e "$T/y" -e "$T/tmp" "$R"; then
	fail "a build path is in the bundle"
fi
grep -q '"purl": "pkg:pypi/flask@2.2.2"' "$R/sbom.cdx.json" || fail "no purl for flask"
grep -q '"specVersion": "1.5"' "$R/sbom.cdx.json" || fail "not CycloneDX 1.5"
grep -q '"build_time": 1700000000' "$R/appbuild.json" || fail "no build time"

"$R/bin/launch" check >"$T/out" 2>&1 || { cat "$T/out" >&2; fail "launch check"; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BIND=127.0.0.1:$PORT timeout 30 "$R/bin/launch" start >"$T/out" 2>&1 || {
	cat "$T/out" "$R/run/supervisor.log" >&2
	fail "launch start"
}
ok=
i=0
while [ $i -lt 100 ]; do
	if "$R/venv/bin/python" -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
		"http://127.0.0.1:$PORT/?name=bundle" >"$T/page" 2>/dev/null; then
		ok=1
		break
	fi
	i=$((i + 1))
	sleep 0.1
done
[ -n "$ok" ] || { cat "$R/run/supervisor.log" >&2; fail "no HTTP answer on $PORT"; }
grep -q 'bundle' "$T/page" || fail "unexpected page: $(cat "$T/page")"
"$R/bin/launch" status >"$T/out" 2>&1 || fail "launch status"
grep -q '^web.0 running' "$T/out" || fail "status: $(cat "$T/out")"
timeout 20 "$R/bin/launch" stop >/dev/null 2>&1 || fail "launch stop"
"$R/bin/launch" status >/dev/null 2>&1 && fail "still running after stop"
exit 0
