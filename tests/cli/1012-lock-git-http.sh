#!/bin/sh
# git requirements over HTTP from the test server (smart HTTP through git
# http-backend): locked to the commit, installed; the second lock and the
# bundle from the fresh lock make no request at all. The dumb protocol
# (static files) is refused by libgit2: a clear network error, no cache
# entry left.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
. "$TOP/tests/cli/lib/gitrepos.sh"
need_shared
export LSAN_OPTIONS=suppressions=$TOP/tests/cli/lib/lsan.supp:print_suppressions=0
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
make_repos "$T/repos"
git -C "$T/repos/gitpkg" update-server-info
start_server "$T/repos"

mkdir -p "$T/app/bin"
echo 'application = None' >"$T/app/bin/wsgiapp"
echo "gitpkg @ git+$BASE/git/gitpkg@v1.0" >"$T/app/dependencies.txt"
run lock "$T/app" $C
expect_rc 0
grep -qxF "gitpkg @ git+$BASE/git/gitpkg@$GP1" "$T/app/dependencies.lock" ||
	fail "not pinned: $(cat "$T/app/dependencies.lock")"
[ "$(curl -s "$BASE/_stats" | cut -c1-14)" != '{"requests": 0' ] || fail "no request was made"

curl -s "$BASE/_reset" >/dev/null
run lock "$T/app" $C
expect_rc 0
run bundle "$T/app" $C -o "$T/b.tar.gz" --no-compile
expect_rc 0
[ "$(curl -s "$BASE/_stats")" = '{"requests": 0, "304": 0, "206": 0}' ] ||
	fail "the warm runs made requests: $(curl -s "$BASE/_stats")"
tar xzf "$T/b.tar.gz" -O --wildcards '*/gitpkg-1.0.dist-info/direct_url.json' >"$T/du"
[ "$(cat "$T/du")" = "{\"url\": \"$BASE/git/gitpkg\", \"vcs_info\": {\"commit_id\": \"$GP1\", \"requested_revision\": \"v1.0\", \"vcs\": \"git\"}}" ] ||
	fail "direct_url.json: $(cat "$T/du")"

# the dumb protocol: libgit2 speaks only smart HTTP
echo "gitpkg @ git+$BASE/gitpkg/.git@v1.0" >"$T/app/dependencies.txt"
ls "$T/cache/git" >"$T/before"
run lock "$T/app" $C
expect_rc 6
grep -q "^$T/app/dependencies.txt:1:1: error: cannot reach git repository '$BASE/gitpkg/.git'" "$T/err" ||
	fail "dumb HTTP: $(cat "$T/err")"
ls "$T/cache/git" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a cache entry was left"
exit 0
