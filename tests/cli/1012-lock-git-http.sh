#!/bin/sh
# git requirements over HTTP from the test server (smart HTTP through git
# http-backend): locked to the commit, installed; the second lock and the
# bundle from the fresh lock make no request at all. The dumb protocol
# (static files after update-server-info; builder/gitdumb.c): loose objects,
# then a new branch after `git repack -a -d` (packs, an incremental fetch,
# the default branch from HEAD); a warm run makes no request; an unknown
# ref, an unreachable repository and a repository missing an object are
# clear errors that leave nothing in the cache.
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

# the dumb protocol, loose objects: the tag, and every branch and tag in
# the mirror, complete
DUMB=$BASE/gitpkg/.git
echo "gitpkg @ git+$DUMB@v1.0" >"$T/app/dependencies.txt"
curl -s "$BASE/_reset" >/dev/null
ls "$T/cache/git" >"$T/before"
run lock "$T/app" $C
expect_rc 0
grep -qxF "gitpkg @ git+$DUMB@$GP1" "$T/app/dependencies.lock" ||
	fail "dumb: not pinned: $(cat "$T/app/dependencies.lock")"
[ "$(curl -s "$BASE/_stats" | cut -c1-14)" != '{"requests": 0' ] || fail "dumb: no request was made"
MIRROR=$(ls "$T/cache/git" | grep -vxF -f "$T/before")
[ -n "$MIRROR" ] || fail "dumb: no cache entry"
MIRROR=$T/cache/git/$MIRROR
[ "$(git --git-dir="$MIRROR" rev-parse refs/tags/v1.0^{commit} refs/heads/dev refs/heads/main)" = \
	"$(printf '%s\n' "$GP1" "$GPDEV" "$GPMAIN")" ] || fail "dumb: the mirror's refs"
git --git-dir="$MIRROR" fsck --no-dangling --no-progress >/dev/null 2>"$T/fsck" || fail "dumb: fsck: $(cat "$T/fsck")"
[ -z "$(find "$T/cache/git" -name 'dumb.*')" ] || fail "dumb: the staging directory was left"

# warm: the lock's commit is in the mirror, no request
curl -s "$BASE/_reset" >/dev/null
run lock "$T/app" $C
expect_rc 0
run bundle "$T/app" $C -o "$T/b2.tar.gz" --no-compile
expect_rc 0
[ "$(curl -s "$BASE/_stats")" = '{"requests": 0, "304": 0, "206": 0}' ] ||
	fail "dumb: the warm runs made requests: $(curl -s "$BASE/_stats")"
tar tzf "$T/b2.tar.gz" | grep -q 'site-packages/gitpkg-1.0.dist-info/direct_url.json$' ||
	fail "dumb: gitpkg not installed"

# packs: a new branch `next`, checked out (the default branch), then
# everything repacked: the next run finds its tip in the pack, the objects it
# already has are not asked for again
R=$T/repos
cp -r "$R/gitpkg/.git" "$T/broken.git" # for the missing-object case below
(cd "$R/gitpkg" && gitq checkout -b next)
flit_project "$R/gitpkg" gitpkg 1.2 '"idna>=3"'
(cd "$R/gitpkg" && git add -A && gitq commit -m 1.2 && git repack -a -d -q && git update-server-info)
NEXT=$(git -C "$R/gitpkg" rev-parse next)
[ -z "$(find "$R/gitpkg/.git/objects" -path '*/objects/[0-9a-f][0-9a-f]/*' -type f)" ] ||
	fail "loose objects left after repack"
echo "gitpkg @ git+$DUMB" >"$T/app/dependencies.txt"
run lock "$T/app" $C
expect_rc 0
grep -qxF "gitpkg @ git+$DUMB@$NEXT" "$T/app/dependencies.lock" ||
	fail "packed: not pinned to HEAD: $(cat "$T/app/dependencies.lock")"
git --git-dir="$MIRROR" fsck --no-dangling --no-progress >/dev/null 2>"$T/fsck" || fail "packed: fsck: $(cat "$T/fsck")"
[ "$(git --git-dir="$MIRROR" rev-parse refs/heads/next)" = "$NEXT" ] || fail "packed: no next"

# credentials from the URL (the server's "auth" fault: Basic u:p)
AUTHURL=$(echo "$BASE" | sed 's|://|://u:p@|')/f/auth/gitpkg/.git
echo "gitpkg @ git+$AUTHURL@v1.0" >"$T/app/dependencies.txt"
run lock "$T/app" $C --upgrade
expect_rc 0
grep -qF "@$GP1" "$T/app/dependencies.lock" || fail "auth: not pinned: $(cat "$T/app/dependencies.lock")"

# an unknown ref
echo "gitpkg @ git+$DUMB@nosuchtag" >"$T/app/dependencies.txt"
run lock "$T/app" $C
expect_rc 7
grep -qF "error: no branch, tag or commit 'nosuchtag' in '$DUMB'" "$T/err" ||
	fail "dumb unknown ref: $(cat "$T/err")"

# unreachable: nothing there (a 404 is not a dumb server), or an object
# missing from the server; neither leaves a cache entry
ls "$T/cache/git" >"$T/before"
echo "gitpkg @ git+$BASE/nowhere/.git@v1.0" >"$T/app/dependencies.txt"
run lock "$T/app" $C
expect_rc 6
grep -q "^$T/app/dependencies.txt:1:1: error: cannot reach git repository '$BASE/nowhere/.git'" "$T/err" ||
	fail "dumb unreachable: $(cat "$T/err")"
mv "$T/broken.git" "$R/broken.git"
BLOB=$(git --git-dir="$R/broken.git" rev-parse v1.0:pyproject.toml)
rm "$R/broken.git/objects/$(echo "$BLOB" | cut -c1-2)/$(echo "$BLOB" | cut -c3-)"
echo "gitpkg @ git+$BASE/broken.git@v1.0" >"$T/app/dependencies.txt"
run lock "$T/app" $C
expect_rc 6
grep -q "^$T/app/dependencies.txt:1:1: error: cannot fetch from '$BASE/broken.git': object $BLOB is not on the server" "$T/err" ||
	fail "dumb missing object: $(cat "$T/err")"
ls "$T/cache/git" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a cache entry was left: $(diff "$T/before" "$T/after")"
exit 0
