#!/bin/sh
# Every sdist of ../shared/pyindex (SDISTS.tsv: 8 pure Python, 3 with C
# extensions) built from the index in isolated build environments (their
# setuptools and wheel resolved from the same index) on Debian's CPython,
# whose setuptools the index holds: `bundle --no-binary` of an app that
# pins all eleven. The metadata comes from the backend (their PKG-INFO is
# 1.2/2.1, not binding); the wheels are built several at a time; each one
# installs and imports from the unpacked bundle, and each dist-info says
# bdist_wheel made it (the index's wheels say debian_wheels.py). A second
# run is all cache hits: no backend, a byte-identical bundle. Times go to
# stderr.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
TSV=$SHARED/pyindex/SDISTS.tsv
NB=$(tail -n +2 "$TSV" | cut -f1 | paste -sd, -)
C="--cache-dir $T/cache --index-url $IDX --python /usr/bin/python3 --no-binary $NB"
TMPDIR=$T/tmp
# -O0 (after the interpreter's -O2, so it wins): the C extensions compile
# several times faster (lxml's etree.c dominates), and only imports are
# checked here
CFLAGS=-O0
export TMPDIR CFLAGS
mkdir -p "$T/tmp"
[ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is missing"

cp -r "$TOP/examples/flask-hello" "$T/app"
rm -rf "$T/app/dist" "$T/app/dependencies.lock"
tail -n +2 "$TSV" | awk -F'\t' '{ print $1 "==" $2 }' >"$T/app/dependencies.txt"
n=$(wc -l <"$T/app/dependencies.txt")
[ "$n" = 11 ] || fail "SDISTS.tsv lists $n sdists, expected 11"

t0=$(date +%s)
run bundle "$T/app" $C -o "$T/a.tar.gz"
t1=$(date +%s)
expect_rc 0
echo "1001: cold: $n sdists built in $((t1 - t0)) s" >&2
[ "$(grep -c "^building '.*' .* from source" "$T/err")" = 11 ] ||
	fail "expected 11 builds: $(cat "$T/err")"
[ "$(grep -c "^preparing the metadata of '.*' .* (sdist)" "$T/err")" = 11 ] ||
	fail "expected 11 metadata preparations: $(cat "$T/err")"
[ -z "$(ls "$T/tmp")" ] || fail "build directories were left behind: $(ls "$T/tmp")"

mkdir -p "$T/u"
tar xzf "$T/a.tar.gz" -C "$T/u" || fail "cannot unpack the bundle"
SP=$(echo "$T"/u/*/venv/lib/python3*/site-packages)
PY=$(echo "$T"/u/*/venv/bin/python)
tail -n +2 "$TSV" | while IFS="$(printf '\t')" read -r project version rest; do
	w=$(grep -l "^Version: $version\$" "$SP"/*.dist-info/METADATA |
		xargs grep -li "^Name: $(echo "$project" | sed 's/[-_.]/[-_.]/g')\$" | head -1)
	[ -n "$w" ] || fail "$project $version is not installed"
	grep -q '^Generator: bdist_wheel' "$(dirname "$w")/WHEEL" ||
		fail "$project was not built from its sdist: $(cat "$(dirname "$w")/WHEEL")"
done || exit 1
"$PY" -c '
import cffi, django, jinja2, lxml.etree, markupsafe, plaster_pastedeploy, pyasn1, jwt
import translationstring, urllib3, wsproto
from markupsafe import _speedups
from lxml import etree
assert etree.fromstring("<a><b/></a>")[0].tag == "b"
assert markupsafe.escape("<") == "&lt;"
import _cffi_backend
assert jwt.decode(jwt.encode({"a": 1}, "k", algorithm="HS256"), "k", algorithms=["HS256"]) == {"a": 1}
' || fail "the built distributions do not import"

rm -f "$T/app/dependencies.lock"
t0=$(date +%s)
run bundle "$T/app" $C -o "$T/b.tar.gz"
t1=$(date +%s)
expect_rc 0
echo "1001: warm: $((t1 - t0)) s" >&2
grep -q "from source\|preparing the metadata" "$T/err" && fail "a warm run built: $(cat "$T/err")"
cmp -s "$T/a.tar.gz" "$T/b.tar.gz" || fail "the warm bundle differs"
exit 0
