#!/bin/sh
# appbuild bundle refuses a broken app with the check's error and writes
# nothing; an output name without a known extension is a usage error.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"

cp -r "$FIXTURES/many-problems" "$T/bad"
run bundle "$T/bad" $C
[ "$(cat "$T/rc")" != 0 ] || fail "a broken app was bundled"
grep -q 'error:' "$T/err" || fail "no error printed"
[ ! -e "$T/bad/dist" ] || fail "dist/ was created for a broken app"
[ -z "$(cat "$T/out")" ] || fail "stdout not empty"

cp -r "$TOP/examples/flask-hello" "$T/ok"
rm -rf "$T/ok/dist"
run bundle "$T/ok" $C -o "$T/out.zip"
expect_rc 2
grep -q "cannot tell the format of '$T/out.zip'" "$T/err" || fail "no format error"
[ ! -e "$T/out.zip" ] && [ ! -e "$T/ok/dist" ] || fail "something was written"

run bundle "$T/ok" $C --format tar.bz2
expect_rc 2
