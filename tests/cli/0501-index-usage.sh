#!/bin/sh
# appbuild index: --help documents the source and cache options, repeatable
# options accumulate (-f A --find-links B, --extra-index-url twice), usage
# errors exit 2.
. "$(dirname "$0")/lib/common.sh"

run index --help
expect_rc 0
for o in "-i, --index-url URL" "--extra-index-url URL" "-f, --find-links PATH|URL" "--no-index" \
	"--offline" "--no-cache" "--cache-dir DIR" "--cert FILE" "-j, --jobs N" "--json"; do
	grep -qF -- "$o" "$T/out" || fail "--help does not document $o"
done
grep -q -- "--extra-index-url URL .*(repeatable)$" "$T/out" || fail "--extra-index-url not repeatable"
grep -q -- "--find-links PATH|URL .*(repeatable)$" "$T/out" || fail "--find-links not repeatable"
grep -q "APPBUILD_INDEX_URL" "$T/out" || fail "--help does not name APPBUILD_INDEX_URL"

# two find-links directories, one given as -f, the other as --find-links=
mkdir "$T/a" "$T/b"
: >"$T/a/demo-1.0-py3-none-any.whl"
: >"$T/a/demo-2.0.tar.gz"
: >"$T/b/demo-2.0-py3-none-any.whl"
: >"$T/b/demo-1.5rc1-py3-none-any.whl"
: >"$T/b/other-1.0-py3-none-any.whl"
run index versions demo --no-index -f "$T/a" --find-links="$T/b" --no-cache
expect_rc 0
expect_out <<EOF
demo
  2.0          demo-2.0-py3-none-any.whl
               demo-2.0.tar.gz
  1.5rc1       demo-1.5rc1-py3-none-any.whl
  1.0          demo-1.0-py3-none-any.whl
EOF
# file:// reads are not downloads: no summary line, nothing on stderr
expect_err </dev/null

# the same directory twice counts once; the order of -f does not matter
run index versions demo --no-index -f "$T/b" -f "$T/a" -f "$T/b" --no-cache
expect_rc 0
[ "$(grep -c whl "$T/out")" = 3 ] || fail "duplicate find-links listed twice: $(cat "$T/out")"

# two extra indexes: both searched (the primary and the first know nothing)
mkdir -p "$T/ix1/demo" "$T/ix2"
printf '<a href="../../a/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a>\n' \
	>"$T/ix1/demo/index.html"
run index versions demo -i "file://$T/ix2/" --extra-index-url "file://$T/ix2/" \
	--extra-index-url "file://$T/ix1/" --no-cache
expect_rc 0
expect_out <<EOF
demo
  1.0          demo-1.0-py3-none-any.whl
EOF

run index versions
expect_rc 2
expect_err <<EOF
appbuild: error: expected 'versions NAME...' or 'metadata NAME==VERSION...'
  note: see 'appbuild index --help'
EOF

run index versions demo -f
expect_rc 2
expect_err <<EOF
appbuild: error: option '--find-links' needs a value
  note: see 'appbuild index --help'
EOF

run index versions demo --extra-index-urls x
expect_rc 2
expect_err <<EOF
appbuild: error: unknown option '--extra-index-urls'
  note: did you mean '--extra-index-url'?
  note: see 'appbuild index --help'
EOF

run index versions demo --jobs 0
expect_rc 2
expect_err <<EOF
appbuild: error: invalid value '0' for '--jobs'
  note: expected a number of transfers from 1 to 1000
EOF

run index metadata demo --no-index -f "$T/a" --no-cache
expect_rc 2
expect_err <<EOF
appbuild: error: expected NAME==VERSION, got 'demo'
EOF
exit 0
