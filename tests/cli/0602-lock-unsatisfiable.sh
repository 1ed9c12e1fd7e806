#!/bin/sh
# No resolution: exit status 7, the explanation on stderr names the facts
# (the app wants werkzeug<2.2; the index has only 2.2.2), no lock.
. "$(dirname "$0")/lib/common.sh"
need_shared
cp -r "$TOP/tests/fixtures/lock-unsat" "$T/app"
run lock "$T/app" --cache-dir "$T/cache" --index-url "file://$SHARED/pyindex/simple"
expect_rc 7
grep -q 'no versions of werkzeug match <2.2 (the index has 2.2.2)' "$T/err" ||
	fail "no 'no versions of werkzeug match'"
grep -q 'your app requires werkzeug<2.2' "$T/err" || fail "no 'requires werkzeug<2.2'"
grep -q 'version solving failed' "$T/err" || fail "no conclusion"
grep -q '^appbuild: error: no solution for the requirements$' "$T/err" || fail "no error line"
[ ! -e "$T/app/dependencies.lock" ] || fail "a lock was written"

# fastapi 0.92.0 wants starlette<0.26, the index has 0.26.1 (README: Known conflicts)
mkdir -p "$T/fa/bin"
cp "$T/app/bin/wsgiapp" "$T/fa/bin/"
echo fastapi >"$T/fa/dependencies.txt"
run lock "$T/fa" --cache-dir "$T/cache" --index-url "file://$SHARED/pyindex/simple"
expect_rc 7
grep -q 'starlette>=0.25.0,<0.26.0' "$T/err" || fail "fastapi: starlette not named"
exit 0
