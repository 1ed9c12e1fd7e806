#!/bin/sh
# appbuild bundle scans the environment's ELF files (psycopg2 needs
# libpq.so.5): a warning names the soname, the file and the suggested
# external-dependencies.txt entry; appbuild.json lists the scan
# (needed_libraries) and each external dependency's sonames; bin/launch
# check reports an external dependency this host lacks and exits 4.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX --no-compile"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$T/tmp" "$T/u"
trap 'rm -rf "$T"' EXIT

A=$T/app/flask-hello
mkdir -p "$T/app"
cp -r "$TOP/examples/flask-hello" "$T/app/"
rm -rf "$A/dist" "$A/dependencies.lock"
echo 'psycopg2==2.9.5' >>"$A/dependencies.txt"
run bundle "$A" $C
expect_rc 0
grep -q "warning: 'libpq.so.5' (needed by venv/lib/python3[.0-9]*/site-packages/psycopg2/_psycopg[^)]*) is not in external-dependencies.txt: add 'libpq' (Debian package libpq5)" "$T/err" ||
	fail "no libpq warning: $(cat "$T/err")"
grep -q "libc.so.6" "$T/err" && fail "the C library was warned about"
tar xzf "$A/dist/flask-hello-1.0.0.tar.gz" -C "$T/u" || fail "cannot unpack"
J=$T/u/flask-hello-1.0.0/appbuild.json
python3 - "$J" <<'PY' || fail "appbuild.json: $(cat "$J")"
import json, sys
m = json.load(open(sys.argv[1]))
libs = {l["soname"]: l for l in m["needed_libraries"]}
pq = libs["libpq.so.5"]
assert pq["provider"] == "host" and pq["name"] == "libpq" and pq["debian_package"] == "libpq5", pq
assert len(pq["needed_by"]) == 1 and pq["needed_by"][0].startswith("venv/lib/python3"), pq
assert libs["libc.so.6"]["provider"] == "libc", libs["libc.so.6"]
assert any(e["name"] == "libc6" for e in m["external_dependencies"])
PY

# covered by external-dependencies.txt: no warning; a dependency this host
# lacks fails bin/launch check
rm -rf "$A/dist" "$T/u"/*
printf 'libpq (>=10)\ndefinitely-not-a-real-lib\n' >>"$A/external-dependencies.txt"
run bundle "$A" $C
expect_rc 0
grep -q "libpq.so.5" "$T/err" && fail "libpq warned about though listed: $(cat "$T/err")"
tar xzf "$A/dist/flask-hello-1.0.0.tar.gz" -C "$T/u" || fail "cannot unpack"
python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
e = {x["name"]: x for x in m["external_dependencies"]}
assert e["libpq"]["libraries"] == ["libpq.so.5"], e
assert e["definitely-not-a-real-lib"]["libraries"] == [], e' "$J" || fail "libraries: $(cat "$J")"
"$T/u/flask-hello-1.0.0/bin/launch" check >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || fail "launch check: exit status $rc: $(cat "$T/out" "$T/err")"
grep -q "launch: missing: external dependency definitely-not-a-real-lib" "$T/err" ||
	fail "launch check: $(cat "$T/err")"
grep -q "python3.11\|libc6" "$T/err" && fail "a present dependency reported missing: $(cat "$T/err")"
exit 0
