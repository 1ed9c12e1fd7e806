#!/bin/sh
# appbuild cache dir|verify|clean: a corrupt file or page is named, exits 5,
# --fix deletes it, the next run fetches it again; clean empties the cache.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
need_shared
start_server "$SHARED/pyindex"
C=$T/cache
IX=$BASE/simple/

run cache dir --cache-dir "$C"
expect_rc 0
expect_out <<EOF
$C
EOF
XDG_CACHE_HOME=$T/xdg run cache dir
expect_out <<EOF
$T/xdg/appbuild
EOF

run cache verify --cache-dir "$C"
expect_rc 0
expect_out <<EOF
0 files and 0 pages, 0 B: 0 corrupt
EOF

run index metadata six==1.16.0 -i "$IX" --cache-dir "$C"
expect_rc 0
cp "$T/out" "$T/six.metadata"
run cache verify --cache-dir "$C"
expect_rc 0
expect_out <<EOF
1 file and 1 page, 2.7 kB: 0 corrupt
EOF

# flip a byte of the metadata file and of the page
f=$(find "$C/files" -type f)
p=$(find "$C/http" -type f)
printf 'X' | dd of="$f" bs=1 seek=3 conv=notrunc 2>/dev/null
printf 'X' | dd of="$p" bs=1 seek=$(($(wc -c <"$p") - 5)) conv=notrunc 2>/dev/null
run cache verify --cache-dir "$C"
expect_rc 5
expect_out <<EOF
1 file and 1 page, 2.7 kB: 2 corrupt
EOF
grep -q "^$f: warning: corrupt cache entry: its sha256 is [0-9a-f]*$" "$T/err" || fail "$(cat "$T/err")"
grep -qxF "$p: warning: corrupt cache entry: its body does not match its header" "$T/err" ||
	fail "$(cat "$T/err")"
grep -qxF "appbuild: error: 2 corrupt cache entries in '$C'" "$T/err" || fail "$(cat "$T/err")"
grep -qxF "  note: 'appbuild cache verify --fix' deletes them" "$T/err" || fail "$(cat "$T/err")"

run cache verify --fix --cache-dir "$C"
expect_rc 0
expect_out <<EOF
1 file and 1 page, 2.7 kB: 2 corrupt, deleted
EOF
[ ! -e "$f" ] && [ ! -e "$p" ] || fail "corrupt entries kept"
run cache verify --cache-dir "$C"
expect_out <<EOF
0 files and 0 pages, 0 B: 0 corrupt
EOF

# a stray file is not an entry
: >"$C/files/sha256/stray"
run cache verify --cache-dir "$C"
expect_rc 5
grep -qxF "$C/files/sha256/stray: warning: corrupt cache entry: not a cache entry" "$T/err" ||
	fail "$(cat "$T/err")"
rm "$C/files/sha256/stray"

# fetched again, the same
run index metadata six==1.16.0 -i "$IX" --cache-dir "$C"
expect_rc 0
cmp -s "$T/out" "$T/six.metadata" || fail "refetched metadata differs"

run cache clean --cache-dir "$C"
expect_rc 0
expect_out <<EOF
removed 1 file and 1 page, 2.7 kB
EOF
run cache verify --cache-dir "$C"
expect_out <<EOF
0 files and 0 pages, 0 B: 0 corrupt
EOF

run cache frob --cache-dir "$C"
expect_rc 2
expect_err <<EOF
appbuild: error: unknown cache command 'frob'
  note: see 'appbuild cache --help'
EOF
run cache dir --fix
expect_rc 2
expect_err <<EOF
appbuild: error: option '--fix' is for 'verify' only
  note: see 'appbuild cache --help'
EOF
exit 0
