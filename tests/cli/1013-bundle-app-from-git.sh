#!/bin/sh
# An app straight from a git URL: `appbuild bundle URL@ref` (file:// and
# smart HTTP) is byte-identical to a bundle of a `git clone` checked out at
# the same commit, records the commit, writes into ./dist; `appbuild lock
# URL` writes ./dependencies.lock. A local working tree with changes is
# reported dirty in appbuild.json. An unreachable app repository is exit 6.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
. "$TOP/tests/cli/lib/gitrepos.sh"
need_shared
export LSAN_OPTIONS=suppressions=$TOP/tests/cli/lib/lsan.supp:print_suppressions=0
unset SOURCE_DATE_EPOCH
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
make_repos "$T/repos"
R=$T/repos
APPC=$(git -C "$R/otherapp" rev-parse HEAD)
start_server "$R"

# from the URL (the default branch), into ./dist
mkdir "$T/work"
cd "$T/work"
run bundle "file://$R/otherapp" $C --no-compile
expect_rc 0
[ -f "$T/work/dist/otherapp-0.tar.gz" ] || fail "no ./dist/otherapp-0.tar.gz: $(cat "$T/out")"
tar xzf dist/otherapp-0.tar.gz -O otherapp-0/appbuild.json >"$T/json"
grep -q "\"source_commit\": \"$APPC\"" "$T/json" || fail "no source_commit"
grep -q '"source_dirty": false' "$T/json" || fail "not clean"
grep -q "\"build_time\": $(git -C "$R/otherapp" log -1 --format=%ct)," "$T/json" ||
	fail "build_time is not the commit time"

# the same commit from a clone: the same bytes
gitq clone "$R/otherapp" "$T/clone/otherapp"
git -C "$T/clone/otherapp" checkout -q "$APPC"
run bundle "$T/clone/otherapp" $C --no-compile -o "$T/from-clone.tar.gz"
expect_rc 0
cmp "$T/work/dist/otherapp-0.tar.gz" "$T/from-clone.tar.gz" ||
	fail "the bundle from the URL differs from the bundle of a checkout"

# over HTTP, by commit id
run bundle "git+$BASE/git/otherapp@$APPC" $C --no-compile -o "$T/from-http.tar.gz"
expect_rc 0
cmp "$T/from-http.tar.gz" "$T/from-clone.tar.gz" || fail "the HTTP bundle differs"

# lock from a URL writes here
run lock "file://$R/otherapp@main" $C
expect_rc 0
grep -qxF "git+file://$R/gitpkg@$GP1#egg=gitpkg" "$T/work/dependencies.lock" ||
	fail "no ./dependencies.lock"

# a dirty working tree is reported
echo '# local change' >>"$T/clone/otherapp/bin/wsgiapp"
run bundle "$T/clone/otherapp" $C --no-compile -o "$T/dirty.tar.gz"
expect_rc 0
tar xzf "$T/dirty.tar.gz" -O otherapp-0/appbuild.json | grep -q '"source_dirty": true' ||
	fail "the dirty tree is not reported"

# an app repository that is not there
run bundle "file://$T/nowhere/app.git" $C
expect_rc 6
grep -q "error: cannot reach git repository 'file://$T/nowhere/app.git'" "$T/err" ||
	fail "unreachable app: $(cat "$T/err")"
grep -qxF "  note: while fetching the app from 'file://$T/nowhere/app.git'" "$T/err" ||
	fail "no note: $(cat "$T/err")"
exit 0
