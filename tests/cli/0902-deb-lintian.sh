#!/bin/sh
# Every package `appbuild deb` writes for examples/flask-hello passes
# lintian (Debian 12's) without an error. The warnings that remain are
# listed in SPEC.md ("appbuild deb and appbuild rpm"), each with its reason;
# a warning not in that list fails the test too, so the list stays true.
. "$(dirname "$0")/lib/common.sh"
need_shared
command -v lintian >/dev/null || { echo "$0: lintian is not installed" >&2; exit 1; }
IDX="file://$SHARED/pyindex/simple"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp"
cp -r "$TOP/examples/flask-hello" "$T/"
rm -rf "$T/flask-hello/dist"
run deb "$T/flask-hello" --cache-dir "$T/cache" --index-url "$IDX"
expect_rc 0
# one lintian for all: it shares its start-up cost (tens of seconds)
lintian --no-cfg --allow-root --no-tag-display-limit "$T"/flask-hello/dist/*.deb >"$T/lint" 2>&1
grep '^E: ' "$T/lint" && fail "lintian errors (above)"
# the known warnings (tag names; see SPEC.md for why each remains)
known='copyright-without-copyright-notice
description-synopsis-starts-with-article
embedded-javascript-library
initial-upload-closes-no-bugs
systemd-service-file-refers-to-unusual-wantedby-target
unusual-interpreter'
sed -n 's/^W: [^ ]*: \([^ ]*\).*/\1/p' "$T/lint" | sort -u >"$T/tags"
echo "$known" >"$T/known"
extra=$(comm -23 "$T/tags" "$T/known")
[ -z "$extra" ] || fail "new lintian warnings: $extra ($(grep -F "$extra" "$T/lint" | head -5))"
exit 0
