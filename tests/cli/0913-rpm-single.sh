#!/bin/sh
# appbuild rpm --single on examples/flask-hello over ../shared/pyindex (what
# rpmvenv does): exactly one RPM, named after the app, holding the whole
# relocated environment (every pin in site-packages, the scripts, bin/python),
# the app, bin/launch and the units; Requires carries Python, the C library
# and the external dependencies, no package of a set; rpmlint without
# errors; installed into a scratch root (--nodeps, scriptlets run), its
# scripts run from there, erased with nothing left; two builds from other
# directories, caches and scratch directories a second apart are identical.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpm.sh"
need_shared
need_rpm_cmd
rpm_env
IDX="file://$SHARED/pyindex/simple"
mkdir -p "$T/a" "$T/b/deeper" "$T/tmp-b"
for d in "$T/a" "$T/b/deeper"; do
	cp -r "$TOP/examples/flask-hello" "$d/"
	rm -rf "$d/flask-hello/dist" "$d/flask-hello/dependencies.lock"
done

run rpm "$T/a/flask-hello" --cache-dir "$T/cache" --index-url "$IDX" --single
expect_rc 0
D=$T/a/flask-hello/dist
# markupsafe's extension: the machine's architecture
F=flask-hello-1-1.$(uname -m).rpm
expect_out <<OUT
$D/$F
OUT
[ "$(ls -A "$D")" = "$F" ] || fail "want only $F in $D: $(ls -A "$D")"
[ -z "$(ls -A "$T/tmp")" ] || fail "scratch left in TMPDIR: $(ls -A "$T/tmp")"

rpm_lint "$D/$F"

# Requires: Python, glibc, the external dependencies (python3.11, libc6
# (>=2.14) mapped for Fedora) and /bin/sh for the scriptlets; nothing else
rpm -qp --requires "$D/$F" 2>/dev/null | grep -v '^rpmlib(' | sort -u >"$T/req"
for want in "python(abi) = 3.11" "python3.11" "glibc >= 2.14" "/bin/sh" "libyaml-0.so.2()(64bit)"; do
	grep -qxF "$want" "$T/req" || fail "does not require '$want': $(cat "$T/req")"
done
others=$(grep -v '^python(abi) = 3\.11$\|^python3\.11$\|^glibc >= 2\.[0-9]*$\|^/bin/sh$\|^libyaml-0\.so\.2()(64bit)$' "$T/req")
[ -z "$others" ] || fail "requires more: $others"
rpm -qp --provides "$D/$F" 2>/dev/null | sort >"$T/prov"
printf '%s\n' "flask-hello = 1-1" "flask-hello($(uname -m | tr _ -)) = 1-1" | sort >"$T/want"
cmp -s "$T/want" "$T/prov" || fail "provides: $(diff "$T/want" "$T/prov")"
# scriptlets: daemon-reload and the byte-code cleanup; no user, so no %pre
rpm -qp --scripts "$D/$F" 2>/dev/null | grep scriptlet >"$T/s"
printf '%s\n' "postinstall scriptlet (using /bin/sh):" "preuninstall scriptlet (using /bin/sh):" \
	"postuninstall scriptlet (using /bin/sh):" >"$T/want"
cmp -s "$T/want" "$T/s" || fail "scriptlets: $(cat "$T/s")"

# installed into a scratch root with the scriptlets run
R=$T/root
rpm_scratch_root "$R"
rpm --root "$R" -i --nodeps "$D/$F" 2>"$T/rpm.err" || fail "rpm -i: $(cat "$T/rpm.err")"
O=$R/opt/flask-hello
(cd "$R" && find . -not -type d | sort | comm -23 - "$T/root-before" | sed 's|^\.||') >"$T/ondisk"
rpm --root "$R" -ql flask-hello 2>/dev/null | while read -r f; do
	[ -d "$R$f" ] && [ ! -L "$R$f" ] || echo "$f"
done | sort >"$T/owned"
cmp -s "$T/ondisk" "$T/owned" || fail "files on disk and in the package differ: $(diff "$T/owned" "$T/ondisk")"
# every pin (the build resolved; a lock written now pins the same)
run lock "$T/a/flask-hello" --cache-dir "$T/cache" --index-url "$IDX"
expect_rc 0
sed -n 's/^\([a-z0-9-]*\)==\([^ ]*\).*/\1 \2/p' "$T/a/flask-hello/dependencies.lock" >"$T/pins"
[ "$(wc -l <"$T/pins")" = 8 ] || fail "want 8 pins in the lock: $(cat "$T/pins")"
SP=$O/lib/python3.11/site-packages
while read -r n v; do
	[ -f "$SP/$(echo "$n" | tr - _)-$v.dist-info/RECORD" ] || fail "no $n $v in site-packages"
done <"$T/pins"
for f in pyvenv.cfg bin/python bin/gunicorn bin/flask bin/launch app/bin/wsgiapp \
	app/hello/__init__.py etc/supervisor.yaml lib/wsgiapp.py appbuild.json sbom.cdx.json; do
	[ -e "$O/$f" ] || fail "no /opt/flask-hello/$f"
done
[ -f "$R/usr/lib/systemd/system/flask-hello-web.service" ] || fail "no unit"
[ -f "$R/usr/lib/systemd/system/flask-hello.target" ] || fail "no target unit"
[ "$(head -1 "$O/bin/gunicorn")" = "#!/bin/sh" ] || fail "bin/gunicorn starts: $(head -1 "$O/bin/gunicorn")"
rpm --root "$R" -Va --nodeps >"$T/verify" 2>&1 || fail "rpm -V: $(cat "$T/verify")"
unset PYTHONDONTWRITEBYTECODE
"$O/bin/gunicorn" --version >"$T/gv" 2>&1 || fail "bin/gunicorn: $(cat "$T/gv")"
grep -q 'gunicorn.* 20\.1\.0' "$T/gv" || fail "bin/gunicorn --version: $(cat "$T/gv")"
(cd "$O/app" && PYTHONPATH=$O/lib "$O/bin/python" -c '
import sys, wsgiapp, markupsafe._speedups
assert sys.prefix.endswith("/opt/flask-hello"), sys.prefix
assert callable(wsgiapp.application)') >"$T/py" 2>&1 || fail "the app does not import: $(cat "$T/py")"
[ -n "$(find "$O/app" -name '*.pyc')" ] || fail "the app's modules wrote no byte-code"
rpm --root "$R" -e --nodeps flask-hello 2>"$T/rpm.err" || fail "rpm -e: $(cat "$T/rpm.err")"
left=$(cd "$R" && find . -not -type d | sort | comm -23 - "$T/root-before" |
	grep -v '^\./var/lib/rpm/\|^\./usr/lib/sysimage/rpm/\|\.rpmdb')
[ -z "$left" ] || fail "left after erase: $left"
[ ! -e "$R/opt" ] || [ -z "$(ls -A "$R/opt")" ] || fail "left in /opt: $(find "$R/opt")"

# reproducible: elsewhere, another cache and scratch directory, a second later
sleep 1
TMPDIR=$T/tmp-b run rpm "$T/b/deeper/flask-hello" --cache-dir "$T/cache-b" --index-url "$IDX" \
	--single -o "$T/other"
expect_rc 0
cmp -s "$D/$F" "$T/other/$F" || fail "$F differs between builds"
exit 0
