#!/bin/sh
# Direct references to wheels (`name @ file:///…whl`, `name @ https://…whl
# #sha256=`): locked as `name @ URL --hash`, in pylock.toml as an archive
# table, installed by bundle with direct_url.json; a fresh lock makes the
# second run request nothing; a wrong hash, another project's wheel, two
# URLs for one project, a URL against a specifier, and hg/svn/bzr are
# explained errors that write nothing.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
need_shared
export LSAN_OPTIONS=suppressions=$TOP/tests/cli/lib/lsan.supp:print_suppressions=0
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
WHL=itsdangerous-2.1.2-py3-none-any.whl
SHA=$(sha256sum "$SHARED/pyindex/files/$WHL" | cut -d' ' -f1)

mkapp() {
	rm -rf "$T/app"
	mkdir -p "$T/app/bin"
	echo 'application = None' >"$T/app/bin/wsgiapp"
	cat >"$T/app/dependencies.txt"
}

# a local wheel by file URL, next to an index requirement
mkapp <<EOF
itsdangerous @ file://$SHARED/pyindex/files/$WHL
idna==3.3
EOF
run lock "$T/app" $C
expect_rc 0
sed 1,3d "$T/app/dependencies.lock" >"$T/body"
expect_same lock "$T/body" <<EOF

idna==3.3 \\
    --hash=sha256:0656feb2d149ba14898f43a51c0e9b1424f19d5d1890270ec74fb5d3a8aacc22
    # via -r dependencies.txt
itsdangerous @ file://$SHARED/pyindex/files/$WHL \\
    --hash=sha256:$SHA
    # via -r dependencies.txt
EOF
run lock "$T/app" $C --check
expect_rc 0
run lock "$T/app" $C --format pylock
expect_rc 0
grep -qxF "archive = { url = \"file://$SHARED/pyindex/files/$WHL\", size = $(wc -c <"$SHARED/pyindex/files/$WHL"), hashes = { sha256 = \"$SHA\" } }" "$T/app/pylock.toml" ||
	fail "no archive table in pylock.toml"

# bundle installs it with its PEP 610 origin
run bundle "$T/app" $C -o "$T/b.tar.gz" --no-compile
expect_rc 0
tar xzf "$T/b.tar.gz" -C "$T" app-0/venv/lib
DU=$(ls "$T"/app-0/venv/lib/python3.*/site-packages/itsdangerous-2.1.2.dist-info/direct_url.json)
[ "$(cat "$DU")" = "{\"archive_info\": {\"hash\": \"sha256=$SHA\", \"hashes\": {\"sha256\": \"$SHA\"}}, \"url\": \"file://$SHARED/pyindex/files/$WHL\"}" ] ||
	fail "direct_url.json: $(cat "$DU")"
[ ! -e "$T"/app-0/venv/lib/python3.*/site-packages/idna-3.3.dist-info/direct_url.json ] ||
	fail "direct_url.json for an index distribution"

# over HTTP with #sha256=; the fresh lock's second run requests nothing
start_server "$SHARED/pyindex"
mkapp <<EOF
itsdangerous @ $BASE/files/$WHL#sha256=$SHA
EOF
run lock "$T/app" --cache-dir "$T/cache2" --index-url $IDX
expect_rc 0
grep -qxF "itsdangerous @ $BASE/files/$WHL \\" "$T/app/dependencies.lock" || fail "no URL line"
curl -s "$BASE/_reset" >/dev/null
run lock "$T/app" --cache-dir "$T/cache2" --index-url $IDX
expect_rc 0
[ "$(curl -s "$BASE/_stats")" = '{"requests": 0, "304": 0, "206": 0}' ] ||
	fail "the second run made requests: $(curl -s "$BASE/_stats")"

# a wrong hash: exit 8, nothing cached, no lock
BAD=0000000000000000000000000000000000000000000000000000000000000000
mkapp <<EOF
itsdangerous @ $BASE/files/$WHL#sha256=$BAD
EOF
run lock "$T/app" --cache-dir "$T/cache3" --index-url $IDX
expect_rc 8
grep -q "^$T/app/dependencies.txt:1:1: error: .*$BAD" "$T/err" || fail "hash error: $(cat "$T/err")"
[ ! -e "$T/app/dependencies.lock" ] || fail "a lock was written"
[ -z "$(find "$T/cache3/files" -type f 2>/dev/null)" ] || fail "a bad download was kept"

# another project's wheel
mkapp <<EOF
idna==3.3
flask @ file://$SHARED/pyindex/files/$WHL
EOF
run lock "$T/app" $C
expect_rc 4
expect_err <<EOF
$T/app/dependencies.txt:2:1: error: the requirement names 'flask' but the wheel is '$WHL'
EOF

# two URLs for one project
mkapp <<EOF
itsdangerous @ file://$SHARED/pyindex/files/$WHL
itsdangerous @ $BASE/files/$WHL
EOF
run lock "$T/app" $C
expect_rc 7
expect_err <<EOF
$T/app/dependencies.txt:2:1: error: conflicting direct references for 'itsdangerous': 'file://$SHARED/pyindex/files/$WHL' and '$BASE/files/$WHL'
  note: the first is at $T/app/dependencies.txt:1
EOF

# a direct reference against a specifier
mkapp <<EOF
itsdangerous @ file://$SHARED/pyindex/files/$WHL
itsdangerous>=3
EOF
run lock "$T/app" $C
expect_rc 7
grep -qF "itsdangerous match >=3 (file://$SHARED/pyindex/files/$WHL is itsdangerous 2.1.2)" "$T/err" ||
	fail "explanation: $(cat "$T/err")"

# other version control systems
for vcs in hg+https svn+ssh bzr+http; do
	mkapp <<EOF
idna==3.3
    $vcs://example.com/repo#egg=x
EOF
	run lock "$T/app" $C
	expect_rc 10
	expect_err <<EOF
$T/app/dependencies.txt:2:5: error: version control scheme '$vcs' is not supported: only git is
EOF
	[ ! -e "$T/app/dependencies.lock" ] || fail "a lock was written"
done

# a direct reference in a constraints file
mkapp <<EOF
-c cons.txt
idna==3.3
EOF
echo "itsdangerous @ file://$SHARED/pyindex/files/$WHL" >"$T/app/cons.txt"
run lock "$T/app" $C
expect_rc 10
expect_err <<EOF
$T/app/cons.txt:1:1: error: 'itsdangerous @ file://$SHARED/pyindex/files/$WHL': a constraints file cannot hold a direct reference
EOF
exit 0
