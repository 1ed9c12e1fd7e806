#!/bin/sh
# appbuild deb refuses bad input with a clear error and writes nothing:
# an external dependency with no Debian package (exit 4), a pinned version
# no OS version can order (a local label mixing letters and digits, exit
# 10), a relative --prefix and a --target of the other family (exit 2).
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp" "$T/wheels"
nothing_written() { # app dir
	[ ! -e "$1/dist" ] || fail "something was written: $(ls -R "$1/dist")"
	[ -z "$(ls "$T/tmp")" ] || fail "staging left behind: $(ls "$T/tmp")"
}

cp -r "$TOP/examples/flask-hello" "$T/"
rm -rf "$T/flask-hello/dist"
echo 'libfoo-unknown (>=1.2)' >>"$T/flask-hello/external-dependencies.txt"
run deb "$T/flask-hello" --cache-dir "$T/cache" --index-url "$IDX"
expect_rc 4
grep -q "external-dependencies.txt:[0-9]*:1: error: no debian package known for 'libfoo-unknown'" "$T/err" ||
	fail "message: $(cat "$T/err")"
grep -q 'note: map it in appbuild.yaml' "$T/err" || fail "no hint: $(cat "$T/err")"
nothing_written "$T/flask-hello"

# weird 1.0+cu118: PEP 440 compares `cu118` as text, dpkg as numbers
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
mkdir -p "$T/weird/bin"
echo 'weird==1.0+cu118' >"$T/weird/dependencies.txt"
printf 'def application(e, s):\n    s("200 OK", [])\n    return [b""]\n' >"$T/weird/bin/wsgiapp"
run deb "$T/weird" --cache-dir "$T/cache" --no-index --find-links "$T/wheels"
expect_rc 10
grep -q "the version of 'weird 1.0+cu118' cannot be mapped to Debian package versions" "$T/err" ||
	fail "message: $(cat "$T/err")"
nothing_written "$T/weird"

run deb "$T/weird" --prefix opt/x --cache-dir "$T/cache" --no-index --find-links "$T/wheels"
expect_rc 2
grep -q "error: prefix 'opt/x' must be an absolute path" "$T/err" || fail "message: $(cat "$T/err")"
nothing_written "$T/weird"
run deb "$T/weird" --target fedora --cache-dir "$T/cache" --no-index --find-links "$T/wheels"
expect_rc 2
grep -q "error: the target 'fedora' does not use Debian packages" "$T/err" ||
	fail "message: $(cat "$T/err")"
nothing_written "$T/weird"
exit 0
