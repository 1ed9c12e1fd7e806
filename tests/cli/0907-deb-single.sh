#!/bin/sh
# appbuild deb --single on examples/flask-hello over ../shared/pyindex (what
# dh-virtualenv does): exactly one .deb, named after the app, holding the
# whole relocated environment (every pin's files in site-packages, the
# scripts, bin/python), the app, bin/launch and the units: the same files
# as the set's packages together; Depends carries Python and the external
# dependencies, no package of a set; lintian reports no error and only the
# warnings 0902 knows; two builds in different directories at different
# times are byte-identical.
. "$(dirname "$0")/lib/common.sh"
need_shared
command -v lintian >/dev/null || { echo "$0: lintian is not installed" >&2; exit 1; }
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp" "$T/x" "$T/y/deeper/path"
for d in "$T/x" "$T/y/deeper/path"; do
	cp -r "$TOP/examples/flask-hello" "$d/"
	rm -rf "$d/flask-hello/dist" "$d/flask-hello/dependencies.lock"
done
run lock "$T/x/flask-hello" $C
expect_rc 0
cp "$T/x/flask-hello/dependencies.lock" "$T/y/deeper/path/flask-hello/"

run deb "$T/x/flask-hello" $C --single
expect_rc 0
grep -q 'resolving' "$T/err" && fail "the fresh lock was not followed"
D=$T/x/flask-hello/dist
# markupsafe's extension: the machine's architecture
F=flask-hello_1-1_$(dpkg --print-architecture).deb
expect_out <<OUT
$D/$F
OUT
[ "$(ls -A "$D")" = "$F" ] || fail "want only $F in $D: $(ls -A "$D")"
[ -z "$(ls -A "$T/tmp")" ] || fail "the staging directory was left behind"

# control: the app's name; Python and the external dependencies only
[ "$(dpkg-deb -f "$D/$F" Package)" = flask-hello ] || fail "Package: $(dpkg-deb -f "$D/$F" Package)"
dep=$(dpkg-deb -f "$D/$F" Depends)
for p in "python3 (>= 3.11~)" "python3 (<< 3.12)" "python3.11" "libc6 (>= 2.14)" "libyaml-0-2"; do
	case ", $dep, " in *", $p, "*) ;; *) fail "Depends lacks '$p': $dep" ;; esac
done
# every clause names python3, python3.11, libc6 or libyaml-0-2 (the shipped
# supervisor links it): no package of a set
others=$(echo "$dep" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -vx 'python3\|python3\.11\|libc6\|libyaml-0-2')
[ -z "$others" ] || fail "Depends names more: $others ($dep)"
dpkg-deb -f "$D/$F" Provides Conflicts Replaces Breaks | grep -q . &&
	fail "unexpected relations: $(dpkg-deb -f "$D/$F" Provides Conflicts Replaces Breaks)"

# contents: the environment, every pin, the app, the launcher, the units
dpkg-deb --fsys-tarfile "$D/$F" | tar -tvf - >"$T/list"
O=./opt/flask-hello
SP=$O/lib/python3.11/site-packages
sed -n 's/^\([a-z0-9-]*\)==\([^ ]*\).*/\1 \2/p' "$T/x/flask-hello/dependencies.lock" >"$T/pins"
[ "$(wc -l <"$T/pins")" = 8 ] || fail "want 8 pins in the lock: $(cat "$T/pins")"
while read -r n v; do
	di=$(echo "$n" | tr - _)-$v.dist-info
	grep -qi " $SP/$di/RECORD\$" "$T/list" || fail "no $di in site-packages"
done <"$T/pins"
for p in $SP/flask/app.py $SP/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so \
	$O/pyvenv.cfg $O/bin/gunicorn $O/bin/flask $O/bin/launch $O/app/bin/wsgiapp \
	$O/app/hello/__init__.py $O/etc/supervisor.yaml $O/lib/wsgiapp.py $O/appbuild.json \
	$O/sbom.cdx.json ./lib/systemd/system/flask-hello-web.service \
	./lib/systemd/system/flask-hello.target; do
	grep -q " $p\$" "$T/list" || fail "the package lacks $p"
done
grep -q " $O/bin/python -> /usr/bin/python3\$" "$T/list" || fail "no bin/python link"
grep -q '\.pyc$' "$T/list" && fail "byte-code shipped"
mkdir "$T/u" "$T/set"
dpkg-deb -x "$D/$F" "$T/u"
dpkg-deb -e "$D/$F" "$T/u/DEBIAN"
[ "$(head -1 "$T/u/opt/flask-hello/bin/gunicorn")" = "#!/opt/flask-hello/bin/python" ] ||
	fail "script not written for its final path: $(head -1 "$T/u/opt/flask-hello/bin/gunicorn")"
# the prerm removes run-time byte-code, the postinst/postrm reload systemd
grep -q '__pycache__' "$T/u/DEBIAN/prerm" || fail "prerm: $(cat "$T/u/DEBIAN/prerm")"
grep -q 'daemon-reload' "$T/u/DEBIAN/postinst" || fail "postinst: $(cat "$T/u/DEBIAN/postinst")"
grep -rl "$T" "$T/u" && fail "a build path is in the package"

# the same files, byte for byte, as the set's packages together
run deb "$T/x/flask-hello" $C -o "$T/setdist"
expect_rc 0
for f in "$T/setdist"/*.deb; do
	dpkg-deb -x "$f" "$T/set"
done
diff -r --no-dereference -x doc -x lintian -x DEBIAN "$T/set" "$T/u" >"$T/diff" ||
	fail "--single and the set differ: $(head -20 "$T/diff")"

# lintian: no error, only the warnings the set has (0902, SPEC.md)
lintian --no-cfg --allow-root --no-tag-display-limit "$D/$F" >"$T/lint" 2>&1
grep '^E: ' "$T/lint" && fail "lintian errors (above)"
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

# reproducible: elsewhere, a second later
sleep 1
run deb "$T/y/deeper/path/flask-hello" $C --single -o "$T/other"
expect_rc 0
cmp -s "$D/$F" "$T/other/$F" || fail "$F differs between builds"
exit 0
