#!/bin/sh
# git requirements over file://: a tag, a branch, a commit id, #egg= and
# #subdirectory= (static [project] metadata, and a dynamic version asked of
# hatchling), a submodule; the lock pins full commits (in pip's
# "git+file:///…@commit#egg=name" form: pip 23 refuses "name @ git+file:///")
# and a fresh lock needs no repository at all; pip 23.2.1 reads it but, in
# hash mode, refuses git; --upgrade follows a force-pushed branch; bundle
# installs the built wheels with direct_url.json; errors: a name that is
# not the project's, an unknown ref, an unreachable repository (nothing left
# in the cache).
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/cli/lib/gitrepos.sh"
need_shared
export LSAN_OPTIONS=suppressions=$TOP/tests/cli/lib/lsan.supp:print_suppressions=0
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
make_repos "$T/repos"
R=$T/repos

mkapp() {
	rm -rf "$T/app"
	mkdir -p "$T/app/bin"
	echo 'application = None' >"$T/app/bin/wsgiapp"
	cat >"$T/app/dependencies.txt"
}

mkapp <<EOF
gitpkg @ git+file://$R/gitpkg@v1.0
git+file://$R/mono@main#egg=alpha&subdirectory=projects/alpha
beta @ git+file://$R/mono@$(git -C "$R/mono" rev-parse main)#subdirectory=projects/beta
EOF
run lock "$T/app" $C
expect_rc 0
sed 1,3d "$T/app/dependencies.lock" >"$T/body"
M=$(git -C "$R/mono" rev-parse main)
expect_same lock "$T/body" <<EOF

git+file://$R/mono@$M#subdirectory=projects/alpha&egg=alpha
    # via -r dependencies.txt
git+file://$R/mono@$M#subdirectory=projects/beta&egg=beta
    # via -r dependencies.txt
git+file://$R/gitpkg@$GP1#egg=gitpkg
    # via -r dependencies.txt
idna==3.3 \\
    --hash=sha256:0656feb2d149ba14898f43a51c0e9b1424f19d5d1890270ec74fb5d3a8aacc22
    # via gitpkg
EOF
# pip reads every line, then refuses the file as a whole: a --hash on one
# line turns on hash checking, and pip has no hash for a repository
env -u PIP_FIND_LINKS -u PIP_CERT python3 -m pip install -q --dry-run --ignore-installed \
	--no-deps --index-url "$IDX" -r "$T/app/dependencies.lock" >"$T/pip.out" 2>&1 &&
	fail "pip installed a lock with git and hashes"
grep -q "^ERROR: Can't verify hashes for these requirements because we don't have a way to hash version control repositories:" "$T/pip.out" ||
	fail "pip: $(cat "$T/pip.out")"
run lock "$T/app" $C --format pylock
expect_rc 0
grep -qxF "vcs = { type = \"git\", url = \"file://$R/gitpkg\", requested-revision = \"v1.0\", commit-id = \"$GP1\" }" "$T/app/pylock.toml" ||
	fail "no vcs table: $(cat "$T/app/pylock.toml")"
grep -qxF "vcs = { type = \"git\", url = \"file://$R/mono\", requested-revision = \"main\", commit-id = \"$M\", subdirectory = \"projects/alpha\" }" "$T/app/pylock.toml" ||
	fail "no subdirectory vcs table"

# a fresh lock needs no repository: its commits are in the cache
mv "$R" "$T/away"
run lock "$T/app" $C
expect_rc 0
run bundle "$T/app" $C -o "$T/b.tar.gz" --no-compile
expect_rc 0
mv "$T/away" "$R"
tar xzf "$T/b.tar.gz" -C "$T" app-0/venv/lib app-0/appbuild.json
SP=$(echo "$T"/app-0/venv/lib/python3.*/site-packages)
[ "$(cat "$SP/gitpkg-1.0.dist-info/direct_url.json")" = "{\"url\": \"file://$R/gitpkg\", \"vcs_info\": {\"commit_id\": \"$GP1\", \"requested_revision\": \"v1.0\", \"vcs\": \"git\"}}" ] ||
	fail "direct_url.json: $(cat "$SP/gitpkg-1.0.dist-info/direct_url.json")"
[ "$(cat "$SP/beta-0.2.dist-info/direct_url.json")" = "{\"subdirectory\": \"projects/beta\", \"url\": \"file://$R/mono\", \"vcs_info\": {\"commit_id\": \"$M\", \"requested_revision\": \"$M\", \"vcs\": \"git\"}}" ] ||
	fail "beta direct_url.json: $(cat "$SP/beta-0.2.dist-info/direct_url.json")"
[ -f "$SP/alpha/__init__.py" ] || fail "alpha not installed"
grep -q "\"commit_id\": \"$GP1\"" "$T/app-0/appbuild.json" || fail "appbuild.json lacks the commit"

# main (1.1) has the submodule: its file is in the wheel
mkapp <<EOF
gitpkg @ git+file://$R/gitpkg@main
EOF
run bundle "$T/app" $C -o "$T/b2.tar.gz" --no-compile
expect_rc 0
tar tzf "$T/b2.tar.gz" | grep -q 'site-packages/gitpkg/vendored/__init__.py$' ||
	fail "the submodule's file is not installed"
run lock "$T/app" $C
expect_rc 0
grep -qxF "git+file://$R/gitpkg@$GPMAIN#egg=gitpkg" "$T/app/dependencies.lock" || fail "main not pinned"

# main force-pushed: the fresh lock keeps its commit; --upgrade follows it
(cd "$R/gitpkg" && echo '# amended' >>gitpkg/__init__.py && git add -A &&
	gitq commit --amend -m 'main rewritten')
NEW=$(git -C "$R/gitpkg" rev-parse main)
[ "$NEW" != "$GPMAIN" ] || fail "the amend did not move main"
run lock "$T/app" $C
expect_rc 0
grep -qxF "git+file://$R/gitpkg@$GPMAIN#egg=gitpkg" "$T/app/dependencies.lock" || fail "the pin moved"
run lock "$T/app" $C --upgrade
expect_rc 0
grep -qxF "git+file://$R/gitpkg@$NEW#egg=gitpkg" "$T/app/dependencies.lock" ||
	fail "--upgrade did not follow the force-push: $(cat "$T/app/dependencies.lock")"

# the dev branch (a pre-release) by an abbreviated commit id
mkapp <<EOF
git+file://$R/gitpkg@$(echo "$GPDEV" | cut -c1-10)#egg=gitpkg
EOF
run lock "$T/app" $C
expect_rc 0
grep -qxF "git+file://$R/gitpkg@$GPDEV#egg=gitpkg" "$T/app/dependencies.lock" || fail "dev not pinned"
grep -qxF 'itsdangerous==2.1.2 \' "$T/app/dependencies.lock" || fail "dev's dependency missing"

# the requirement's name is not the project's
mkapp <<EOF
idna==3.3
wrong @ git+file://$R/gitpkg@v1.0
EOF
run lock "$T/app" $C
expect_rc 4
expect_err <<EOF
$T/app/dependencies.txt:2:1: error: the requirement names 'wrong' but it is 'gitpkg 1.0'
  note: from 'git+file://$R/gitpkg'
EOF
[ ! -e "$T/app/dependencies.lock" ] || fail "a lock was written"

# an unknown ref
mkapp <<EOF
gitpkg @ git+file://$R/gitpkg@nosuchbranch
EOF
run lock "$T/app" $C
expect_rc 7
expect_err <<EOF
$T/app/dependencies.txt:1:1: error: no branch, tag or commit 'nosuchbranch' in 'file://$R/gitpkg'
  note: in requirement 'gitpkg @ git+file://$R/gitpkg@nosuchbranch'
EOF

# an unreachable repository: exit 6, no cache entry left behind
ls "$T/cache/git" >"$T/before"
mkapp <<EOF
gitpkg @ git+file://$T/nowhere/repo@v1.0
EOF
run lock "$T/app" $C
expect_rc 6
grep -q "^$T/app/dependencies.txt:1:1: error: cannot reach git repository 'file://$T/nowhere/repo'" "$T/err" ||
	fail "unreachable: $(cat "$T/err")"
ls "$T/cache/git" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a cache entry was left: $(diff "$T/before" "$T/after")"
exit 0
