#!/bin/sh
# appbuild lock on the examples over ../shared/pyindex: the pins, a sha256
# per installable file, `# via`, two runs byte-identical, --check fresh and
# stale, --format pylock, and pip 23.2.1 installs from the lock with
# --require-hashes.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"

cp -r "$TOP/examples/flask-hello" "$TOP/examples/pyramid-app" "$T/"
rm -f "$T"/*/dependencies.lock

run lock "$T/flask-hello" $C
expect_rc 0
L=$T/flask-hello/dependencies.lock
grep -q '^# target: cpython ' "$L" || fail "no target line"
grep -q '^# inputs: sha256:[0-9a-f]\{64\}$' "$L" || fail "no inputs digest"
[ "$(grep -c '==' "$L")" = 8 ] || fail "expected 8 pins"
for p in click==8.1.3 flask==2.2.2 gunicorn==20.1.0 itsdangerous==2.1.2 jinja2==3.1.2 \
	markupsafe==2.1.2 setuptools==66.1.1 werkzeug==2.2.2; do
	grep -q "^$p \\\\$" "$L" || fail "missing pin $p"
done
# every hash is the sha256 of a file in the index: the wheel and, for
# jinja2 and markupsafe, the sdist too
for h in $(sed -n 's/.*--hash=sha256:\([0-9a-f]*\).*/\1/p' "$L"); do
	grep -rq "$h" "$SHARED/pyindex/simple" || fail "hash $h is not in the index"
done
[ "$(grep -A3 '^jinja2==' "$L" | grep -c -- '--hash=sha256:')" = 2 ] || fail "jinja2: 2 hashes"
grep -q '^    # via -r dependencies.txt$' "$L" || fail "no '# via -r dependencies.txt'"
grep -A6 '^markupsafe==' "$L" | grep -q '^    #   werkzeug$' || fail "markupsafe via werkzeug"

# reproducible: a second run (pins preferred) and a run from scratch
cp "$L" "$T/first"
run lock "$T/flask-hello" $C
expect_rc 0
cmp -s "$L" "$T/first" || fail "second run differs"
run lock "$T/flask-hello" $C --upgrade
cmp -s "$L" "$T/first" || fail "--upgrade run differs"

# --check: fresh, then stale after an input changes, then a missing lock
run lock "$T/flask-hello" $C --check
expect_rc 0
echo "itsdangerous" >>"$T/flask-hello/dependencies.txt"
run lock "$T/flask-hello" $C --check
expect_rc 11
grep -q "is stale" "$T/err" || fail "no 'is stale' message"
run lock "$T/flask-hello" $C --check --python-version 3.10
expect_rc 11
run lock "$T/pyramid-app" $C --check
expect_rc 11

run lock "$T/pyramid-app" $C
expect_rc 0
L2=$T/pyramid-app/dependencies.lock
for p in pyramid==2.0 waitress==2.1.2 webob==1.8.6 zope-interface==5.5.2 venusian==3.0.0; do
	grep -q "^$p \\\\$" "$L2" || fail "missing pin $p"
done

# pylock.toml
run lock "$T/pyramid-app" $C --format pylock
expect_rc 0
P=$T/pyramid-app/pylock.toml
grep -q '^lock-version = "1.0"$' "$P" || fail "pylock: lock-version"
[ "$(grep -c '^\[\[packages\]\]$' "$P")" = 12 ] || fail "pylock: 12 packages"
python3 -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); \
assert all(w["hashes"]["sha256"] for p in d["packages"] for w in p.get("wheels", []))' "$P" ||
	fail "pylock.toml does not parse"

# pip installs exactly the locked files, checking every hash
for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
python3 -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
	-r "$L2" --index-url "$IDX" --target "$T/site" --dry-run >"$T/pip.log" 2>&1 ||
	{ cat "$T/pip.log"; fail "pip install --require-hashes failed"; }
exit 0
