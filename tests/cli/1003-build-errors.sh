#!/bin/sh
# Builds that must fail, each with a clear error and nothing written: a
# backend that raises (its output shown, each line marked "backend| "), two
# of them built side by side, a backend that cannot be imported, a build-requirement cycle, a build for
# another platform, and an sdist that builds another project than its file
# name says. No build record and
# no built wheel lands in the cache, no bundle is written, no temporary
# directory is left.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
L=$T/links
C="--cache-dir $T/cache --index-url $IDX --find-links $L"
P="--python /usr/bin/python3"
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$T/tmp" "$L" "$T/src"

# mk_sdist NAME METADATA-VERSION PYPROJECT-BODY [FILE-NAME]
mk_sdist() {
	d=$T/src/$1-1.0
	mkdir -p "$d/_backend"
	printf 'Metadata-Version: %s\nName: %s\nVersion: 1.0\n' "$2" "$1" >"$d/PKG-INFO"
	printf '%s\n' "$3" >"$d/pyproject.toml"
	cat >"$d/_backend/failing.py" <<'EOF'
import sys
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("compiling everything")
    print("error: no compiler here", file=sys.stderr)
    raise RuntimeError("no compiler here")
EOF
	tar czf "$L/${4:-$1}-1.0.tar.gz" -C "$T/src" "$1-1.0"
}

mk_app() { # DIR REQUIREMENTS...
	cp -r "$TOP/examples/flask-hello" "$1"
	rm -rf "$1/dist" "$1/dependencies.lock"
	d=$1
	shift
	printf '%s\n' "$@" >"$d/dependencies.txt"
}

nothing_written() { # APP
	[ ! -e "$1/dist" ] || fail "a bundle was written"
	[ -z "$(ls "$T/tmp")" ] || fail "temporary files were left: $(ls "$T/tmp")"
	! grep -rqa 'appbuild-build:' "$T/cache/http" 2>/dev/null ||
		fail "a build record was written"
	! find "$T/cache/files" -type f -exec unzip -tq {} \; 2>/dev/null | grep -q 'No errors' ||
		fail "a wheel was stored"
}

mk_sdist tinyfail 2.2 '[build-system]
requires = []
build-backend = "failing"
backend-path = ["_backend"]'
mk_app "$T/a" tinyfail
run bundle "$T/a" $C $P
expect_rc 9
grep -qF "error: building 'tinyfail' 1.0 failed: 'build_wheel' of backend 'failing' raised RuntimeError: no compiler here" "$T/err" ||
	fail "no build error: $(cat "$T/err")"
grep -qxF "  note: backend| compiling everything" "$T/err" || fail "backend stdout not shown"
grep -qxF "  note: backend| error: no compiler here" "$T/err" || fail "backend stderr not shown"
grep -qF "while building 'tinyfail' 1.0 from 'tinyfail-1.0.tar.gz'" "$T/err" || fail "no note"
nothing_written "$T/a"

# two failing builds: run side by side (pep517_prebuild), the first one's
# error, with its output, is the one reported
mk_sdist tinyfail2 2.2 '[build-system]
requires = []
build-backend = "failing"
backend-path = ["_backend"]'
mk_app "$T/e" tinyfail tinyfail2
run bundle "$T/e" $C $P
expect_rc 9
grep -qF "error: building 'tinyfail' 1.0 failed: 'build_wheel' of backend 'failing' raised RuntimeError: no compiler here" "$T/err" ||
	fail "no build error from the parallel builds: $(cat "$T/err")"
grep -qxF "  note: backend| error: no compiler here" "$T/err" || fail "backend output lost"
nothing_written "$T/e"

mk_sdist tinymissing 2.2 '[build-system]
requires = []
build-backend = "no_such_backend.api"'
mk_app "$T/b" tinymissing
run bundle "$T/b" $C $P
expect_rc 9
grep -qF "error: building 'tinymissing' 1.0 failed: backend 'no_such_backend.api' is not available: cannot import 'no_such_backend.api'" "$T/err" ||
	fail "no missing-backend error: $(cat "$T/err")"
nothing_written "$T/b"

mk_sdist ca 2.2 '[build-system]
requires = ["cb"]
build-backend = "failing"
backend-path = ["_backend"]'
mk_sdist cb 2.2 '[build-system]
requires = ["ca"]
build-backend = "failing"
backend-path = ["_backend"]'
mk_app "$T/c" ca
run bundle "$T/c" $C $P
expect_rc 9
grep -qF "error: build-requirement cycle: 'ca' -> 'cb' -> 'ca'" "$T/err" ||
	fail "no cycle error: $(cat "$T/err")"
nothing_written "$T/c"

# the file says wrongname, the project (flit, from the index) is othername;
# PKG-INFO 2.1 is not binding, so the backend's metadata is compared
mk_sdist othername 2.1 '[build-system]
requires = ["flit_core>=3.2,<4"]
build-backend = "flit_core.buildapi"
[project]
name = "othername"
version = "1.0"
description = "x"' wrongname
mkdir -p "$T/src/othername-1.0/othername"
: >"$T/src/othername-1.0/othername/__init__.py"
tar czf "$L/wrongname-1.0.tar.gz" -C "$T/src" othername-1.0
mk_app "$T/d" wrongname
# not for another machine: the backend would build for this one
run lock "$T/d" $C --platform manylinux_2_17_aarch64
expect_rc 10
grep -qF "error: cannot build 'wrongname' 1.0 from source for cpython" "$T/err" ||
	fail "no foreign-target error: $(cat "$T/err")"
run lock "$T/d" $C
expect_rc 4
grep -qF "error: 'wrongname' 1.0 was requested but the sdist builds 'othername' 1.0" "$T/err" ||
	fail "no name error: $(cat "$T/err")"
[ ! -e "$T/d/dependencies.lock" ] || fail "a lock was written"
exit 0
