#!/bin/sh
# appbuild bundle leaves out of app/ what the app's .gitignore files (nested,
# negated, anchored, directory-only, "**") and .appbuildignore exclude, VCS
# metadata, dist/ and byte-code, but keeps the lock; inside a larger git
# work tree the .gitignore files above the app apply too. A symbolic link
# named .gitignore is an error (git does not read those). The app has no
# Python dependencies, so no index is needed.
. "$(dirname "$0")/lib/common.sh"
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$T/tmp"

# make_app DIR: the app's tree
make_app() {
	mkdir -p "$1" && cd "$1" || fail "cannot create $1"
	mkdir -p bin static/dist static/src secrets node_modules/x build-cache sub/build-cache \
		docs/a/b tests .hg/store .svn dist pkg/__pycache__ data
	echo 'application = None' >bin/wsgiapp
	: >dependencies.txt
	printf 'secrets/\nnode_modules/\n/build-cache\n!important.log\ndocs/**/*.tmp\ndependencies.lock\n' \
		>.gitignore
	printf '# deploy-only rules\ntests/\n!static/dist/\ndata/*\n!data/seed.json\n' >.appbuildignore
	printf 'dist/\n' >static/.gitignore
	for f in static/dist/app.js static/src/app.ts secrets/key.pem node_modules/x/index.js \
		build-cache/blob sub/build-cache/keep.txt docs/readme.md docs/a/b/x.tmp docs/a/y.tmp \
		tests/test_app.py .hg/store/data .svn/entries dist/old.tar.gz pkg/__init__.py \
		pkg/__pycache__/__init__.cpython-311.pyc pkg/stale.pyc important.log debug.log \
		local-only.txt data/seed.json data/dump.sql; do
		echo "$f" >"$f"
	done
	cd "$TOP" || exit 1
}

# bundle_list DIR: bundle DIR (locked first) and list its app/ files
bundle_list() {
	run lock "$1" --no-index --cache-dir "$T/cache"
	expect_rc 0
	[ -f "$1/dependencies.lock" ] || fail "no lock"
	run bundle "$1" --no-index --cache-dir "$T/cache" --no-compile -o "$T/b.tar.gz"
	expect_rc 0
	tar tzf "$T/b.tar.gz" | sed -n 's|^web-0/app/\(.*[^/]\)$|\1|p' | LC_ALL=C sort >"$T/list"
	rm -f "$T/b.tar.gz"
}

# 1. a git repository of its own
A=$T/repo/web
make_app "$A"
git init -q "$A" || fail "git init"
bundle_list "$A"
expect_same "app/ files" "$T/list" <<'EOF'
.gitignore
bin/wsgiapp
data/seed.json
debug.log
dependencies.lock
dependencies.txt
docs/readme.md
important.log
local-only.txt
pkg/__init__.py
static/.gitignore
static/dist/app.js
static/src/app.ts
sub/build-cache/keep.txt
EOF

# 2. the same app inside a larger work tree whose .gitignore excludes logs
# and one file of the app; the app's own "!important.log" wins (deeper)
M=$T/mono
A=$M/services/web
make_app "$A"
git init -q "$M" || fail "git init"
printf '*.log\n/services/web/local-only.txt\n' >"$M/.gitignore"
printf 'web/docs/\n' >"$M/services/.gitignore"
bundle_list "$A"
expect_same "app/ files in a work tree" "$T/list" <<'EOF'
.gitignore
bin/wsgiapp
data/seed.json
dependencies.lock
dependencies.txt
important.log
pkg/__init__.py
static/.gitignore
static/dist/app.js
static/src/app.ts
sub/build-cache/keep.txt
EOF

# without the .appbuildignore, what is kept is what git does not ignore
# (but the lock, and what appbuild always leaves out)
rm "$T/repo/web/.appbuildignore"
bundle_list "$T/repo/web"
(cd "$T/repo/web" && find . -path ./.git -prune -o -path ./.hg -prune -o -path ./.svn -prune -o \
	-path ./dist -prune -o -type f -print | sed 's|^\./||' | grep -v '\.pyc$' | LC_ALL=C sort) >"$T/all"
(cd "$T/repo/web" && git -c core.excludesFile=/dev/null check-ignore --no-index --stdin) <"$T/all" |
	LC_ALL=C sort >"$T/ignored"
LC_ALL=C comm -23 "$T/all" "$T/ignored" >"$T/git-list"
grep -v '^dependencies.lock$' "$T/list" >"$T/list2"
expect_same "app/ files against git check-ignore" "$T/list2" <"$T/git-list"

# a symbolic link named .gitignore
ln -s ../.gitignore "$A/static/sub-ignore" && mkdir -p "$A/static/s" &&
	ln -s ../../.gitignore "$A/static/s/.gitignore" || fail "cannot link"
run bundle "$A" --no-index --cache-dir "$T/cache" --no-compile -o "$T/c.tar.gz"
expect_rc 4
expect_err <<EOF
$A/static/s/.gitignore: error: is a symbolic link: git does not read those, so its patterns would not apply (make it a regular file)
EOF
[ ! -e "$T/c.tar.gz" ] || fail "written despite the error"
[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"
exit 0
