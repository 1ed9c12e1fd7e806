#!/bin/sh
# appbuild deb on examples/flask-hello over ../shared/pyindex: one .deb per
# pinned distribution, one for the environment and one for the app, one
# line each on stdout; names, versions, dependencies and places as SPEC.md
# says; no build path in any package; two builds in different directories
# at different times are byte-identical.
. "$(dirname "$0")/lib/common.sh"
need_shared
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

run deb "$T/x/flask-hello" $C
expect_rc 0
grep -q 'resolving' "$T/err" && fail "the fresh lock was not followed"
D=$T/x/flask-hello/dist
[ "$(wc -l <"$T/out")" = "$(ls "$D" | wc -l)" ] || fail "not one line per package: $(cat "$T/out")"
while read -r f; do
	[ -f "$f" ] || fail "printed '$f' but it is not there"
done <"$T/out"
npins=$(grep -c '^[a-z0-9-]*==' "$T/x/flask-hello/dependencies.lock")
[ "$(ls "$D" | wc -l)" = $((npins + 2)) ] || fail "want $npins + 2 packages: $(ls "$D")"
[ -z "$(ls "$T/tmp")" ] || fail "the staging directory was left behind"

# names, versions (osver: 1.0.0 -> 1, 20.1.0 -> 20.1), places
# the app is `all`, or the machine's when it ships the (stripped) supervisor
A=$(cd "$D" && echo flask-hello_1-1_*.deb)
[ -f "$D/$A" ] || fail "no flask-hello_1-1_*.deb: $(ls "$D")"
for f in flask-hello-python3_3.11-1_all.deb \
	flask-hello-python3-flask_2.2.2-1_all.deb flask-hello-python3-gunicorn_20.1-1_all.deb \
	flask-hello-python3-markupsafe_2.1.2-1_amd64.deb; do
	[ -f "$D/$f" ] || fail "no $f: $(ls "$D")"
done
field() { dpkg-deb -f "$D/$1" "$2"; }
dep=$(field "$A" Depends)
for p in "flask-hello-python3 (= 3.11-1)" "flask-hello-python3-flask (= 2.2.2-1)" \
	"flask-hello-python3-gunicorn (= 20.1-1)" "python3 (>= 3.11~)" "python3 (<< 3.12)" \
	"python3.11" "libc6 (>= 2.14)"; do
	case ", $dep, " in *", $p, "*) ;; *) fail "app Depends lacks '$p': $dep" ;; esac
done
dep=$(field flask-hello-python3-flask_2.2.2-1_all.deb Depends)
for p in "flask-hello-python3 (= 3.11-1)" "flask-hello-python3-jinja2 (= 3.1.2-1)" \
	"flask-hello-python3-werkzeug (= 2.2.2-1)" "python3 (>= 3.11~)"; do
	case ", $dep, " in *", $p, "*) ;; *) fail "flask Depends lacks '$p': $dep" ;; esac
done
case "$dep" in *gunicorn*) fail "flask depends on gunicorn: $dep" ;; esac
# a wheel with a C extension: the C library its tag promises
dep=$(field flask-hello-python3-markupsafe_2.1.2-1_amd64.deb Depends)
case "$dep" in *"libc6 (>= "*) ;; *) fail "markupsafe lacks libc6: $dep" ;; esac
dpkg-deb -c "$D/flask-hello-python3-flask_2.2.2-1_all.deb" >"$T/list"
grep -q ' \./opt/flask-hello/lib/python3\.11/site-packages/flask/app\.py$' "$T/list" ||
	fail "flask not under /opt/flask-hello"
grep -q '\.pyc$' "$T/list" && fail "byte-code shipped"
dpkg-deb -c "$D/flask-hello-python3-gunicorn_20.1-1_all.deb" >"$T/list"
grep -q ' \./opt/flask-hello/bin/gunicorn$' "$T/list" || fail "no bin/gunicorn"
mkdir "$T/g"
dpkg-deb -x "$D/flask-hello-python3-gunicorn_20.1-1_all.deb" "$T/g"
[ "$(head -1 "$T/g/opt/flask-hello/bin/gunicorn")" = "#!/opt/flask-hello/bin/python" ] ||
	fail "script not written for its final path: $(head -1 "$T/g/opt/flask-hello/bin/gunicorn")"
dpkg-deb -c "$D/$A" >"$T/list"
for p in ./opt/flask-hello/app/bin/wsgiapp ./opt/flask-hello/bin/launch \
	./opt/flask-hello/etc/supervisor.yaml ./opt/flask-hello/appbuild.json \
	./opt/flask-hello/sbom.cdx.json ./lib/systemd/system/flask-hello-web.service \
	./lib/systemd/system/flask-hello.target; do
	grep -q " $p\$" "$T/list" || fail "app package lacks $p"
done
dpkg-deb -c "$D/flask-hello-python3_3.11-1_all.deb" >"$T/list"
grep -q ' \./opt/flask-hello/bin/python -> /usr/bin/python3' "$T/list" || fail "no bin/python link"

# no build path anywhere
for f in "$D"/*.deb; do
	mkdir -p "$T/u/$(basename "$f")"
	dpkg-deb -x "$f" "$T/u/$(basename "$f")"
	dpkg-deb -e "$f" "$T/u/$(basename "$f")/DEBIAN"
done
grep -rl "$T" "$T/u" && fail "a build path is in a package"

# reproducible: elsewhere, a second later
sleep 1
run deb "$T/y/deeper/path/flask-hello" $C -o "$T/other"
expect_rc 0
for f in "$D"/*.deb; do
	cmp -s "$f" "$T/other/$(basename "$f")" || fail "$(basename "$f") differs between builds"
done
exit 0
