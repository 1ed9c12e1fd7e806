#!/bin/sh
# Local project directories (relative to the requirements file that names
# them, includes too), `-e` editables (locked as such, bundled as a regular
# build with a message), and sdist archives by path and by URL: locked as
# `name @ file:///…` / `-e file:///…#egg=`, a moved app makes its lock
# stale, direct_url.json says dir_info or archive_info.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
. "$TOP/tests/cli/lib/gitrepos.sh"
need_shared
export LSAN_OPTIONS=suppressions=$TOP/tests/cli/lib/lsan.supp:print_suppressions=0
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"

A=$T/app
mkdir -p "$A/bin" "$A/sub"
echo 'application = None' >"$A/bin/wsgiapp"
flit_project "$A/libs/foo" foo 1.0 '"idna>=3"'
flit_project "$A/libs/bar" bar 0.5 ''
# an sdist without PKG-INFO: its metadata comes from pyproject.toml
flit_project "$T/src/baz-2.0" baz 2.0 ''
tar czf "$T/baz-2.0.tar.gz" -C "$T/src" baz-2.0
BAZ=$(sha256sum "$T/baz-2.0.tar.gz" | cut -d' ' -f1)
cat >"$A/dependencies.txt" <<EOF
./libs/foo
-r sub/more.txt
baz @ file://$T/baz-2.0.tar.gz
EOF
echo '-e ../libs/bar' >"$A/sub/more.txt"
run lock "$A" $C
expect_rc 0
sed 1,3d "$A/dependencies.lock" >"$T/body"
expect_same lock "$T/body" <<EOF

-e file://$A/libs/bar#egg=bar
    # via -r dependencies.txt
baz @ file://$T/baz-2.0.tar.gz \\
    --hash=sha256:$BAZ
    # via -r dependencies.txt
foo @ file://$A/libs/foo
    # via -r dependencies.txt
idna==3.3 \\
    --hash=sha256:0656feb2d149ba14898f43a51c0e9b1424f19d5d1890270ec74fb5d3a8aacc22
    # via foo
EOF
run lock "$A" $C --format pylock
expect_rc 0
grep -qxF "directory = { path = \"$A/libs/bar\", editable = true }" "$A/pylock.toml" ||
	fail "no directory table: $(cat "$A/pylock.toml")"

run bundle "$A" $C -o "$T/b.tar.gz" --no-compile
expect_rc 0
grep -qxF "'bar' is editable: the bundle holds a regular build of $A/libs/bar" "$T/err" ||
	fail "no editable message: $(cat "$T/err")"
tar xzf "$T/b.tar.gz" -C "$T" app-0/venv/lib
SP=$(echo "$T"/app-0/venv/lib/python3.*/site-packages)
[ "$(cat "$SP/bar-0.5.dist-info/direct_url.json")" = "{\"dir_info\": {}, \"url\": \"file://$A/libs/bar\"}" ] ||
	fail "bar direct_url.json: $(cat "$SP/bar-0.5.dist-info/direct_url.json")"
[ "$(cat "$SP/baz-2.0.dist-info/direct_url.json")" = "{\"archive_info\": {\"hash\": \"sha256=$BAZ\", \"hashes\": {\"sha256\": \"$BAZ\"}}, \"url\": \"file://$T/baz-2.0.tar.gz\"}" ] ||
	fail "baz direct_url.json: $(cat "$SP/baz-2.0.dist-info/direct_url.json")"
[ -f "$SP/bar/__init__.py" ] && [ ! -e "$SP/__editable__.bar-0.5.pth" ] || fail "bar is not a regular install"

# the lock names absolute paths: a moved app must relock
run lock "$A" $C --check
expect_rc 0
mv "$A" "$T/moved"
run lock "$T/moved" $C --check
expect_rc 11
mv "$T/moved" "$A"

# an sdist by URL with its hash, and a path that is not there
start_server "$T"
cat >"$A/dependencies.txt" <<EOF
baz @ $BASE/baz-2.0.tar.gz#sha256=$BAZ
./libs/missing
EOF
rm "$A/sub/more.txt"
run lock "$A" $C
expect_rc 5
expect_err <<EOF
$A/dependencies.txt:2:1: error: cannot read '$A/libs/missing': No such file or directory
EOF
echo "baz @ $BASE/baz-2.0.tar.gz#sha256=$BAZ" >"$A/dependencies.txt"
run lock "$A" $C
expect_rc 0
grep -qxF "baz @ $BASE/baz-2.0.tar.gz \\" "$A/dependencies.lock" || fail "no sdist URL line"
exit 0
