#!/bin/sh
# appbuild rpm on examples/flask-hello (issue #9): one RPM per pin, one for
# the environment, one for the app; rpmlint without errors; Requires and
# Provides as SPEC.md says; installed into a scratch root with `rpm --root`
# (no dependencies there: --nodeps; the scriptlets run, with the /bin/sh,
# rm, rmdir and find they use), its file list checked, the scripts run from
# their installed place (writing run-time byte-code), then erased with
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
# the app is noarch, or the machine's when it ships the built-in supervisor
# (appbuild-supervisor next to appbuild)
AA=noarch
[ -x "$(dirname "$APPBUILD")/appbuild-supervisor" ] && AA=$(uname -m)
APP=flask-hello-1-1.$AA.rpm
expect_out <<OUT
$D/$P-3.11-1.noarch.rpm
$D/$P-click-8.1.3-1.noarch.rpm
$D/$P-flask-2.2.2-1.noarch.rpm
$D/$P-gunicorn-20.1-1.noarch.rpm
$D/$P-itsdangerous-2.1.2-1.noarch.rpm
$D/$P-jinja2-3.1.2-1.noarch.rpm
$D/$P-markupsafe-2.1.2-1.$(uname -m).rpm
$D/$P-setuptools-66.1.1-1.noarch.rpm
$D/$P-werkzeug-2.2.2-1.noarch.rpm
$D/$APP
OUT
[ "$(ls -A "$D" | wc -l)" = 10 ] || fail "other files in $D: $(ls -A "$D")"
[ -z "$(ls -A "$T/tmp")" ] || fail "scratch left in TMPDIR: $(ls -A "$T/tmp")"

rpm_lint "$D"/*.rpm

# the app: every package of the set exactly, the interpreter's ABI, the
# external dependencies mapped for Fedora (python3.11, libc6 (>=2.14))
rpm -qp --requires "$D/$APP" 2>/dev/null | grep -v '^rpmlib(' >"$T/req"
for want in "$P = 3.11-1" "$P-click = 8.1.3-1" "$P-flask = 2.2.2-1" "$P-gunicorn = 20.1-1" \
	"$P-itsdangerous = 2.1.2-1" "$P-jinja2 = 3.1.2-1" "$P-markupsafe = 2.1.2-1" \
	"$P-setuptools = 66.1.1-1" "$P-werkzeug = 2.2.2-1" "python(abi) = 3.11" "python3.11" \
	"glibc >= 2.14"; do
	grep -qxF "$want" "$T/req" || { cat "$T/req" >&2; fail "app does not require '$want'"; }
done
# nothing else but /bin/sh (its scriptlets), glibc and libyaml (the supervisor)
grep -qx 'libyaml-0.so.2()(64bit)' "$T/req" || fail "app requires no libyaml: $(cat "$T/req")"
others=$(grep -v "^$P\( \|-\)\|^python(abi) = 3.11\$\|^python3.11\$\|^glibc >= 2\.[0-9]*\$\|^/bin/sh\$\|^libyaml-0\.so\.2()(64bit)\$" "$T/req")
[ -z "$others" ] || fail "app requires more: $others"
rpm -qp --provides "$D/$APP" 2>/dev/null >"$T/prov"
grep -qxF "flask-hello = 1-1" "$T/prov" || fail "app provides: $(cat "$T/prov")"
# the environment: only Python
rpm -qp --requires "$D/$P-3.11-1.noarch.rpm" 2>/dev/null | grep -v '^rpmlib(' >"$T/req"
[ "$(cat "$T/req")" = "python(abi) = 3.11" ] || fail "environment requires: $(cat "$T/req")"
# a distribution: the environment and its own requirements, exactly, and
# nothing else
rpm -qp --requires "$D/$P-flask-2.2.2-1.noarch.rpm" 2>/dev/null | grep -v '^rpmlib(' | sort >"$T/req"
sort >"$T/want" <<EOF
/bin/sh
$P = 3.11-1
$P-click = 8.1.3-1
$P-itsdangerous = 2.1.2-1
$P-jinja2 = 3.1.2-1
$P-werkzeug = 2.2.2-1
python(abi) = 3.11
EOF
cmp -s "$T/want" "$T/req" || fail "flask requires: $(diff "$T/want" "$T/req")"
# one with ELF files: the C library as well
rpm -qp --requires "$D/$P-markupsafe-2.1.2-1.$(uname -m).rpm" 2>/dev/null >"$T/req"
grep -q '^glibc >= 2\.[0-9]*$' "$T/req" || fail "markupsafe requires: $(cat "$T/req")"
# provides: the package, and the scoped dist() with the PEP 440-mapped
# version, never a bare python3dist()
for f in "$D"/$P-*.rpm; do
	rpm -qp --provides "$f" 2>/dev/null
done >"$T/prov"
for want in "$P-flask = 2.2.2-1" "${P}dist(flask) = 2.2.2" "${P}dist(gunicorn) = 20.1" \
	"${P}dist(markupsafe) = 2.1.2" "${P}dist(setuptools) = 66.1.1" "$P = 3.11-1"; do
	grep -qxF "$want" "$T/prov" || { cat "$T/prov" >&2; fail "no provide '$want'"; }
done
grep -q '^python3dist(\|^python(' "$T/prov" && fail "a distro-wide provide: $(cat "$T/prov")"
[ "$(grep -c "^${P}dist(" "$T/prov")" = 8 ] || fail "want 8 dist() provides: $(cat "$T/prov")"

# scriptlets: the app's daemon-reload, guarded
rpm -qp --scripts "$D/$APP" 2>/dev/null >"$T/scripts"
grep -q '^postinstall scriptlet' "$T/scripts" || fail "no %post: $(cat "$T/scripts")"
grep -q 'if \[ -d /run/systemd/system \]' "$T/scripts" || fail "unguarded: $(cat "$T/scripts")"
# no scriptlet installs, compiles or downloads anything; a distribution's
# only one removes the byte-code Python wrote at run time (%preun)
rpm -qp --scripts "$D"/*.rpm 2>/dev/null >"$T/all-scripts"
grep -q '^preinstall\|compileall\|py_compile\|pip \|curl\|wget' "$T/all-scripts" &&
	fail "unexpected scriptlet: $(cat "$T/all-scripts")"
for f in "$D"/$P-[a-z]*.rpm "$D/$APP"; do
	rpm -qp --scripts "$f" 2>/dev/null | grep -q '^preuninstall scriptlet (using /bin/sh):$' ||
		fail "no %preun in $f"
done
rpm -qp --scripts "$D/$P-flask-2.2.2-1.noarch.rpm" 2>/dev/null | grep 'scriptlet' >"$T/fs"
[ "$(cat "$T/fs")" = "preuninstall scriptlet (using /bin/sh):" ] || fail "flask's scriptlets: $(cat "$T/fs")"
# scripts: rpmlint's accepted /bin/sh trampoline, not #!/opt/.../python
rpm2cpio "$D/$P-gunicorn-20.1-1.noarch.rpm" | (cd "$T" && cpio -id --quiet ./opt/flask-hello/bin/gunicorn)
[ "$(head -1 "$T/opt/flask-hello/bin/gunicorn")" = "#!/bin/sh" ] ||
	fail "bin/gunicorn starts: $(head -1 "$T/opt/flask-hello/bin/gunicorn")"

# installed into a scratch root with the scriptlets run
R=$T/root
rpm_scratch_root "$R"
rpm --root "$R" -i --nodeps "$D"/*.rpm 2>"$T/rpm.err" || fail "rpm -i: $(cat "$T/rpm.err")"
[ "$(rpm --root "$R" -qa 2>/dev/null | wc -l)" = 10 ] || fail "not 10 packages installed"
O=$R/opt/flask-hello
# the files on disk are exactly the packages' files (directories aside)
(cd "$R" && find . -not -type d | sort | comm -23 - "$T/root-before" | sed 's|^\.||') >"$T/ondisk"
rpm --root "$R" -qa --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' 2>/dev/null | grep -v '^d' |
	sed 's|^[^ ]* ||' | sort -u >"$T/owned"
cmp -s "$T/ondisk" "$T/owned" || fail "files on disk and in the packages differ: $(diff "$T/owned" "$T/ondisk")"
for f in lib/python3.11/site-packages/flask/__init__.py lib/python3.11/site-packages/markupsafe/__init__.py \
	app/hello/__init__.py app/bin/wsgiapp bin/launch bin/python bin/flask pyvenv.cfg etc/supervisor.yaml \
	lib/wsgiapp.py appbuild.json sbom.cdx.json; do
	[ -e "$O/$f" ] || fail "no /opt/flask-hello/$f"
done
for f in bin/gunicorn bin/flask bin/launch; do
	[ -x "$O/$f" ] || fail "/opt/flask-hello/$f is not executable"
done
# bin/wsgiapp is imported, not run: no #! line (rpmlint), not executable
[ ! -x "$O/app/bin/wsgiapp" ] || fail "app/bin/wsgiapp is executable"
head -1 "$O/app/bin/wsgiapp" | grep -q '^#!' && fail "app/bin/wsgiapp has a #! line"
[ -f "$R/usr/lib/systemd/system/flask-hello-web.service" ] || fail "no unit"
[ -f "$R/usr/lib/systemd/system/flask-hello.target" ] || fail "no target unit"
rpm --root "$R" -qf /opt/flask-hello/bin/gunicorn 2>/dev/null | grep -qx "$P-gunicorn-20.1-1.noarch" ||
	fail "bin/gunicorn is not gunicorn's"
rpm --root "$R" -Va --nodeps >"$T/verify" 2>&1 || fail "rpm -V: $(cat "$T/verify")"

# the scripts run from where they are installed (the trampoline finds the
# environment's python next to them), and so does the app: Python writes
# byte-code next to what it imports (unless told not to)
unset PYTHONDONTWRITEBYTECODE
"$O/bin/gunicorn" --version >"$T/gv" 2>&1 || fail "bin/gunicorn: $(cat "$T/gv")"
grep -q 'gunicorn.* 20\.1\.0' "$T/gv" || fail "bin/gunicorn --version: $(cat "$T/gv")"
"$O/bin/flask" --version >"$T/fv" 2>&1 || fail "bin/flask: $(cat "$T/fv")"
grep -q '^Flask 2\.2\.2' "$T/fv" || fail "bin/flask --version: $(cat "$T/fv")"
(cd "$O/app" && PYTHONPATH=$O/lib "$O/bin/python" -c '
import sys, wsgiapp, markupsafe._speedups
assert sys.prefix.endswith("/opt/flask-hello"), sys.prefix
assert callable(wsgiapp.application)') >"$T/py" 2>&1 || fail "the app does not import: $(cat "$T/py")"
[ -n "$(find "$O" -name '*.pyc')" ] || fail "nothing wrote byte-code"
[ -n "$(find "$O/app" -name '*.pyc')" ] || fail "the app's modules wrote no byte-code"

# erased with the scriptlets (%preun removes the run-time byte-code)
rpm --root "$R" -e --nodeps $(rpm --root "$R" -qa 2>/dev/null) 2>"$T/rpm.err" ||
	fail "rpm -e: $(cat "$T/rpm.err")"
[ "$(rpm --root "$R" -qa 2>/dev/null | wc -l)" = 0 ] || fail "packages left installed"
left=$(cd "$R" && find . -not -type d | sort | comm -23 - "$T/root-before" |
	grep -v '^\./var/lib/rpm/\|^\./usr/lib/sysimage/rpm/\|\.rpmdb')
[ -z "$left" ] || fail "left after erase: $left"
[ ! -e "$R/opt" ] || [ -z "$(ls -A "$R/opt")" ] || fail "left in /opt: $(find "$R/opt")"

# --repo: the packages and createrepo_c's metadata
[ -f "$T/repo/repodata/repomd.xml" ] || fail "no repodata/repomd.xml"
[ "$(ls "$T/repo"/*.rpm | wc -l)" = 10 ] || fail "not 10 RPMs in the repository"
for f in "$D"/*.rpm; do
	cmp -s "$f" "$T/repo/${f##*/}" || fail "${f##*/} differs in the repository"
done
f=$(ls "$T/repo"/repodata/*-primary.xml.*)
case $f in *.zst) cat=zstdcat ;; *.xz) cat=xzcat ;; *.bz2) cat=bzcat ;; *) cat=zcat ;; esac
[ "$($cat "$f" | grep -c '<package ')" = 10 ] || fail "primary.xml does not list 10 packages"
$cat "$f" | grep -q '<name>flask-hello</name>' || fail "the app is not in primary.xml"
$cat "$f" | grep -q "<rpm:entry name=\"$P-flask\" flags=\"EQ\" epoch=\"0\" ver=\"2.2.2\" rel=\"1\"/>" ||
	fail "the app's exact requirement on flask is not in primary.xml"
exit 0
