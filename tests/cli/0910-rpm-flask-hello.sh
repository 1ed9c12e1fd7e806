#!/bin/sh
# appbuild rpm on examples/flask-hello (issue #9): one RPM per pin, one for
# the environment, one for the app; rpmlint without errors; Requires and
# Provides as SPEC.md says; installed into a scratch root with `rpm --root`
# (no dependencies there: --nodeps; no /bin/sh there: --noscripts, the
# scriptlets are checked with --scripts), verified, then erased with
# nothing of ours left; --repo gives createrepo_c metadata naming them all.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpm.sh"
need_shared
need_rpm_cmd
rpm_env
IDX="file://$SHARED/pyindex/simple"
cp -r "$TOP/examples/flask-hello" "$T/"
rm -rf "$T/flask-hello/dist" "$T/flask-hello/dependencies.lock"

run rpm "$T/flask-hello" --cache-dir "$T/cache" --index-url "$IDX" --repo "$T/repo"
expect_rc 0
D=$T/flask-hello/dist
P=flask-hello-python3
expect_out <<OUT
$D/$P-3.11-1.noarch.rpm
$D/$P-click-8.1.3-1.noarch.rpm
$D/$P-flask-2.2.2-1.noarch.rpm
$D/$P-gunicorn-20.1-1.noarch.rpm
$D/$P-itsdangerous-2.1.2-1.noarch.rpm
$D/$P-jinja2-3.1.2-1.noarch.rpm
$D/$P-markupsafe-2.1.2-1.x86_64.rpm
$D/$P-setuptools-66.1.1-1.noarch.rpm
$D/$P-werkzeug-2.2.2-1.noarch.rpm
$D/flask-hello-1-1.noarch.rpm
OUT
[ "$(ls -A "$D" | wc -l)" = 10 ] || fail "other files in $D: $(ls -A "$D")"

rpm_lint "$D"/*.rpm

# the app: every package of the set exactly, the interpreter's ABI, the
# external dependencies mapped for Fedora (python3.11, libc6 (>=2.14))
rpm -qp --requires "$D/flask-hello-1-1.noarch.rpm" 2>/dev/null | grep -v '^rpmlib(' >"$T/req"
for want in "$P = 3.11-1" "$P-flask = 2.2.2-1" "$P-gunicorn = 20.1-1" "$P-markupsafe = 2.1.2-1" \
	"python(abi) = 3.11" "python3.11" "glibc >= 2.14"; do
	grep -qxF "$want" "$T/req" || { cat "$T/req" >&2; fail "app does not require '$want'"; }
done
# a distribution: the environment and its own requirements, exactly
rpm -qp --requires "$D/$P-flask-2.2.2-1.noarch.rpm" 2>/dev/null | grep -v '^rpmlib(' >"$T/req"
for want in "$P = 3.11-1" "python(abi) = 3.11" "$P-jinja2 = 3.1.2-1" "$P-werkzeug = 2.2.2-1" \
	"$P-click = 8.1.3-1" "$P-itsdangerous = 2.1.2-1"; do
	grep -qxF "$want" "$T/req" || { cat "$T/req" >&2; fail "flask does not require '$want'"; }
done
rpm -qp --provides "$D/$P-flask-2.2.2-1.noarch.rpm" 2>/dev/null >"$T/prov"
grep -qxF "${P}dist(flask) = 2.2.2" "$T/prov" || { cat "$T/prov" >&2; fail "no scoped dist() provide"; }
grep -q '^python3dist(' "$T/prov" && fail "a bare python3dist() provide: $(cat "$T/prov")"
# scriptlets: only the app's daemon-reload, guarded
rpm -qp --scripts "$D/flask-hello-1-1.noarch.rpm" 2>/dev/null >"$T/scripts"
grep -q '^postinstall scriptlet' "$T/scripts" || fail "no %post: $(cat "$T/scripts")"
grep -q 'if \[ -d /run/systemd/system \]' "$T/scripts" || fail "unguarded: $(cat "$T/scripts")"
# no scriptlet installs, compiles or downloads anything; a distribution's
# only one removes the byte-code Python wrote at run time (%preun)
rpm -qp --scripts "$D"/*.rpm 2>/dev/null >"$T/all-scripts"
grep -q '^preinstall\|compileall\|py_compile\|pip \|curl\|wget' "$T/all-scripts" &&
	fail "unexpected scriptlet: $(cat "$T/all-scripts")"
rpm -qp --scripts "$D/$P-flask-2.2.2-1.noarch.rpm" 2>/dev/null | grep 'scriptlet' >"$T/fs"
[ "$(cat "$T/fs")" = "preuninstall scriptlet (using /bin/sh):" ] ||
	[ ! -s "$T/fs" ] || fail "flask's scriptlets: $(cat "$T/fs")"

# installed into a scratch root, verified, erased
R=$T/root
mkdir -p "$R"
rpm --root "$R" --initdb 2>/dev/null || fail "rpm --initdb"
rpm --root "$R" -i --nodeps --noscripts "$D"/*.rpm 2>"$T/rpm.err" || fail "rpm -i: $(cat "$T/rpm.err")"
[ "$(rpm --root "$R" -qa 2>/dev/null | wc -l)" = 10 ] || fail "not 10 packages installed"
O=$R/opt/flask-hello
for f in lib/python3.11/site-packages/flask/__init__.py lib/python3.11/site-packages/markupsafe/__init__.py \
	app/hello bin/launch; do
	[ -e "$O/$f" ] || fail "no /opt/flask-hello/$f"
done
[ -x "$O/bin/gunicorn" ] || fail "/opt/flask-hello/bin/gunicorn is not executable"
[ -f "$R/usr/lib/systemd/system/flask-hello-web.service" ] || fail "no unit"
rpm --root "$R" -qf /opt/flask-hello/bin/gunicorn 2>/dev/null | grep -qx "$P-gunicorn-20.1-1.noarch" ||
	fail "bin/gunicorn is not gunicorn's"
rpm --root "$R" -Va --nodeps >"$T/verify" 2>&1 || fail "rpm -V: $(cat "$T/verify")"
rpm --root "$R" -e --nodeps --noscripts $(rpm --root "$R" -qa 2>/dev/null) 2>"$T/rpm.err" ||
	fail "rpm -e: $(cat "$T/rpm.err")"
[ "$(rpm --root "$R" -qa 2>/dev/null | wc -l)" = 0 ] || fail "packages left installed"
left=$(find "$R" -not -type d -not -path '*/.rpmdb/*' -not -path '*/var/lib/rpm/*' \
	-not -path '*/sysimage/rpm/*')
[ -z "$left" ] || fail "left after erase: $left"
[ -z "$(ls -A "$R/opt")" ] || fail "left in /opt: $(ls -A "$R/opt")"

# --repo: the packages and createrepo_c's metadata
[ -f "$T/repo/repodata/repomd.xml" ] || fail "no repodata/repomd.xml"
[ "$(ls "$T/repo"/*.rpm | wc -l)" = 10 ] || fail "not 10 RPMs in the repository"
f=$(ls "$T/repo"/repodata/*-primary.xml.*)
case $f in *.zst) cat=zstdcat ;; *.xz) cat=xzcat ;; *.bz2) cat=bzcat ;; *) cat=zcat ;; esac
[ "$($cat "$f" | grep -c '<package ')" = 10 ] || fail "primary.xml does not list 10 packages"
$cat "$f" | grep -q '<name>flask-hello</name>' || fail "the app is not in primary.xml"
exit 0
