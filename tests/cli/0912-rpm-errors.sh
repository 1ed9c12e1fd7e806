#!/bin/sh
# appbuild rpm refuses bad input before writing anything (issue #9): an
# external dependency with no package for the target (with how to map it),
# `!=` (no OS dependency can say it), an unknown --target (with a
# suggestion), a pinned version no RPM version can order; appbuild.yaml
# mapping the name makes it build; a later failure leaves the earlier
# packages alone and adds nothing.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpm.sh"
need_shared
need_rpm_cmd
rpm_env
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
cp -r "$TOP/examples/flask-hello" "$T/app"
rm -rf "$T/app/dist" "$T/app/dependencies.lock"
A=$T/app
nothing_written() {
	[ ! -e "$A/dist" ] || [ -z "$(ls -A "$A/dist")" ] || fail "written: $(ls -A "$A/dist")"
	[ ! -e "$T/repo" ] || fail "repository written: $(ls -A "$T/repo")"
	[ -z "$(ls -A "$T/tmp")" ] || fail "scratch left in TMPDIR: $(ls -A "$T/tmp")"
}
printf 'libpq (>=9.6)\nlibfrobnicate (>=1.2)\n' >"$A/external-dependencies.txt"

run rpm "$A" $C --repo "$T/repo"
expect_rc 4
grep -qxF "$A/external-dependencies.txt:2:1: error: no fedora package known for 'libfrobnicate'" "$T/err" ||
	fail "$(cat "$T/err")"
grep -qF "map it in appbuild.yaml: package: {external: {libfrobnicate: {rpm: PACKAGE}}}" "$T/err" ||
	fail "$(cat "$T/err")"
nothing_written

run rpm "$A" $C --target rocky
expect_rc 4
grep -qF "no rocky package known for 'libfrobnicate'" "$T/err" || fail "$(cat "$T/err")"
grep -qF "{libfrobnicate: {rhel: PACKAGE}}" "$T/err" || fail "$(cat "$T/err")"
nothing_written

run rpm "$A" $C --target fedorra
expect_rc 2
grep -qF "unknown target 'fedorra'" "$T/err" || fail "$(cat "$T/err")"
grep -qF "did you mean 'fedora'?" "$T/err" || fail "$(cat "$T/err")"
nothing_written

printf 'zlib (!=1.2.5)\n' >"$A/external-dependencies.txt"
run rpm "$A" $C --repo "$T/repo"
expect_rc 10
grep -qF "external-dependencies.txt:1:1: error: '!=1.2.5' cannot be an OS package dependency" "$T/err" ||
	fail "$(cat "$T/err")"
nothing_written

# weird 1.0+cu118: PEP 440 compares the local label `cu118` as text, rpm
# as numbers: no RPM release orders it, exit 10
mkdir -p "$T/wheels" "$T/weird/bin"
python3 - "$T/wheels" <<'EOF'
import base64, hashlib, sys, zipfile
v = "1.0+cu118"
di = "weird-%s.dist-info" % v
files = {
    "weird/__init__.py": b"",
    di + "/METADATA": ("Metadata-Version: 2.1\nName: weird\nVersion: %s\n" % v).encode(),
    di + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def rec(d):
    h = base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
    return "sha256=%s,%d" % (h, len(d))
with zipfile.ZipFile("%s/weird-%s-py3-none-any.whl" % (sys.argv[1], v), "w") as z:
    for n, d in files.items():
        z.writestr(n, d)
    z.writestr(di + "/RECORD", "".join("%s,%s\n" % (n, rec(d)) for n, d in files.items()) + di + "/RECORD,,\n")
EOF
echo 'weird==1.0+cu118' >"$T/weird/dependencies.txt"
printf 'def application(e, s):\n    s("200 OK", [])\n    return [b""]\n' >"$T/weird/bin/wsgiapp"
run rpm "$T/weird" --cache-dir "$T/cache" --no-index --find-links "$T/wheels" --repo "$T/repo"
expect_rc 10
grep -qF "the version of 'weird 1.0+cu118' cannot be mapped to RPM package versions" "$T/err" ||
	fail "$(cat "$T/err")"
[ ! -e "$T/weird/dist" ] || [ -z "$(ls -A "$T/weird/dist")" ] || fail "written: $(ls -A "$T/weird/dist")"
nothing_written

# mapped in appbuild.yaml: the app requires the named package
printf 'libfrobnicate (~=1.2.3)\n' >"$A/external-dependencies.txt"
printf '  external:\n    libfrobnicate: {rpm: frob-libs, debian: libfrob1}\n' >>"$A/appbuild.yaml"
run rpm "$A" $C --repo "$T/repo"
expect_rc 0
[ "$(wc -l <"$T/out")" = 10 ] || fail "want 10 packages: $(cat "$T/out")"
app=$(grep '/flask-hello-1-1\.[a-z0-9_]*\.rpm$' "$T/out") || fail "no app package: $(cat "$T/out")"
rpm -qp --requires "$app" 2>/dev/null >"$T/req"
grep -qxF 'frob-libs >= 1.2.3' "$T/req" || fail "$(cat "$T/req")"
grep -qxF 'frob-libs < 1.3~' "$T/req" || fail "$(cat "$T/req")"
grep -q 'libfrob1\|libfrobnicate' "$T/req" && fail "the other column or the raw name: $(cat "$T/req")"
[ -f "$T/repo/repodata/repomd.xml" ] || fail "no repository metadata"

# a failure after a good build leaves the earlier packages alone and adds
# nothing (no partial set, no staging directory)
ls -A "$A/dist" >"$T/before"
printf 'libfrobnicate (~=1.2.3)\nlibunknown2\n' >"$A/external-dependencies.txt"
run rpm "$A" $C --repo "$T/repo"
expect_rc 4
grep -qF "external-dependencies.txt:2:1: error: no fedora package known for 'libunknown2'" "$T/err" ||
	fail "$(cat "$T/err")"
ls -A "$A/dist" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "dist/ changed: $(diff "$T/before" "$T/after")"
[ -z "$(ls -A "$T/tmp")" ] || fail "scratch left in TMPDIR: $(ls -A "$T/tmp")"
exit 0
