#!/bin/sh
# test: serial
# Two apps that pin different versions of one distribution install side by
# side from one apt repository (issue #9): their packages are named per app
# (<app>-python3-<name>) and live under /opt/<app>, so neither conflicts
# with the other; purging both leaves nothing behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/debrepo.sh"
need_root_apt
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp" "$T/wheels"
for d in /opt/abtest-one /opt/abtest-two; do
	[ -e "$d" ] && fail "$d exists already: not touching it"
done
PKGS=
cleanup() {
	# shellcheck disable=SC2086
	purge_all $PKGS
	rm -rf "$T"
}
trap cleanup EXIT

# sharedthing 1.0 and 2.0: pure wheels with a module that says its version
python3 - "$T/wheels" <<'EOF'
import base64, hashlib, sys, zipfile
def rec(data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=%s,%d" % (d, len(data))
for v in ("1.0", "2.0"):
    di = "sharedthing-%s.dist-info" % v
    files = {
        "sharedthing/__init__.py": ("VERSION = %r\n" % v).encode(),
        di + "/METADATA": ("Metadata-Version: 2.1\nName: sharedthing\nVersion: %s\n"
                           "Summary: A test distribution\n" % v).encode(),
        di + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,%s\n" % (n, rec(d)) for n, d in files.items()) + di + "/RECORD,,\n"
    with zipfile.ZipFile("%s/sharedthing-%s-py3-none-any.whl" % (sys.argv[1], v), "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
        z.writestr(di + "/RECORD", record)
EOF
for n in one two; do
	mkdir -p "$T/abtest-$n/bin"
	v=1.0
	[ $n = two ] && v=2.0
	echo "sharedthing==$v" >"$T/abtest-$n/dependencies.txt"
	cat >"$T/abtest-$n/bin/wsgiapp" <<'EOF'
import sharedthing
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [sharedthing.VERSION.encode()]
EOF
	run deb "$T/abtest-$n" --cache-dir "$T/cache" --no-index --find-links "$T/wheels" --repo "$T/repo"
	expect_rc 0
	PKGS="$PKGS $(sed 's|.*/||; s|_.*||' "$T/out")"
done
echo "$PKGS" | grep -q 'abtest-one-python3-sharedthing' || fail "packages: $PKGS"
echo "$PKGS" | grep -q 'abtest-two-python3-sharedthing' || fail "packages: $PKGS"

apt_setup "$T/repo"
apt_get update >"$T/apt.log" 2>&1 || fail "apt-get update: $(cat "$T/apt.log")"
apt_get install -y abtest-one >"$T/apt.log" 2>&1 || fail "install abtest-one: $(cat "$T/apt.log")"
apt_get install -y abtest-two >"$T/apt.log" 2>&1 || fail "install abtest-two: $(cat "$T/apt.log")"
grep -q '^Remv' "$T/apt.log" && fail "installing the second app removed something"
[ "$(dpkg-query -W -f '${Version}' abtest-one-python3-sharedthing)" = 1-1 ] || fail "one's version"
[ "$(dpkg-query -W -f '${Version}' abtest-two-python3-sharedthing)" = 2-1 ] || fail "two's version"
for n in one two; do
	got=$(cd /opt/abtest-$n/app && /opt/abtest-$n/bin/python -c 'import sharedthing; print(sharedthing.VERSION)')
	want=1.0
	[ $n = two ] && want=2.0
	[ "$got" = "$want" ] || fail "abtest-$n imports sharedthing $got"
done
# shellcheck disable=SC2086
apt_get purge -y $PKGS >"$T/apt.log" 2>&1 || fail "apt-get purge: $(cat "$T/apt.log")"
for d in /opt/abtest-one /opt/abtest-two; do
	[ ! -e "$d" ] || fail "left behind: $(find "$d" | head)"
done
exit 0
