#!/bin/sh
# PEP 517 builds through the backends of ../shared/pyindex: tiny projects
# made here as sdists in a find-links directory (flit-core, hatchling,
# poetry-core, and setuptools without a pyproject.toml, i.e. the legacy
# backend), their metadata not static (Metadata-Version 2.1), so the
# resolver asks the backend. Each builds in an isolated environment from the
# index, on Debian's CPython (whose setuptools the index holds) and, for the
# other backends, on the python3 on PATH as well; the bundle imports them.
# A second run is a cache hit (no backend runs); another interpreter is a
# new build; --no-build-isolation builds with the interpreter's own
# setuptools.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
L=$T/links
C="--cache-dir $T/cache --index-url $IDX --find-links $L"
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$T/tmp" "$L" "$T/src"

# mk_sdist NAME PYPROJECT-BODY (empty: none; then a setup.py)
mk_sdist() {
	d=$T/src/$1-1.0
	mkdir -p "$d/$1"
	echo "VALUE = '$1'" >"$d/$1/__init__.py"
	printf 'Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' "$1" >"$d/PKG-INFO"
	if [ -n "$2" ]; then
		printf '%s\n' "$2" >"$d/pyproject.toml"
	else
		printf 'from setuptools import setup\nsetup(name="%s", version="1.0", packages=["%s"])\n' \
			"$1" "$1" >"$d/setup.py"
	fi
	tar czf "$L/$1-1.0.tar.gz" -C "$T/src" "$1-1.0"
}

mk_sdist tinyflit '[build-system]
requires = ["flit_core>=3.2,<4"]
build-backend = "flit_core.buildapi"
[project]
name = "tinyflit"
version = "1.0"
description = "tiny"'
mk_sdist tinyhatch '[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[project]
name = "tinyhatch"
version = "1.0"'
mk_sdist tinypoetry '[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
[tool.poetry]
name = "tinypoetry"
version = "1.0"
description = "tiny"
authors = ["A <a@example.org>"]
[tool.poetry.dependencies]
python = ">=3.7"'
mk_sdist tinysetup ''

mk_app() { # DIR REQUIREMENTS...
	cp -r "$TOP/examples/flask-hello" "$1"
	rm -rf "$1/dist" "$1/dependencies.lock"
	shift_dir=$1
	shift
	printf '%s\n' "$@" >"$shift_dir/dependencies.txt"
}

# builds BUNDLE-DIR: the bundle's import check
imports() { # TARBALL MODULES...
	rm -rf "$T/u"
	mkdir -p "$T/u"
	tar xzf "$1" -C "$T/u" || fail "cannot unpack $1"
	shift
	for m in "$@"; do
		"$T"/u/*/venv/bin/python -c "import $m; assert $m.VALUE == '$m'" ||
			fail "cannot import $m"
	done
}

nbuilt() { grep -c "^building '.*' .* from source" "$T/err"; }

mk_app "$T/a" tinyflit tinyhatch tinypoetry tinysetup
run bundle "$T/a" $C --python /usr/bin/python3 -o "$T/a.tar.gz"
expect_rc 0
[ "$(nbuilt)" = 4 ] || fail "expected 4 builds: $(cat "$T/err")"
grep -q "preparing the metadata of 'tinyhatch' 1.0 (sdist)" "$T/err" ||
	fail "the metadata was not asked of the backend"
imports "$T/a.tar.gz" tinyflit tinyhatch tinypoetry tinysetup
[ -z "$(ls "$T/tmp")" ] || fail "build directories were left behind: $(ls "$T/tmp")"

# warm: every wheel and every metadata from the cache
rm -f "$T/a/dependencies.lock"
run bundle "$T/a" $C --python /usr/bin/python3 -o "$T/a2.tar.gz"
expect_rc 0
[ "$(nbuilt)" = 0 ] || fail "a warm run built again: $(cat "$T/err")"
grep -q "preparing the metadata" "$T/err" && fail "a warm run asked a backend"
cmp -s "$T/a.tar.gz" "$T/a2.tar.gz" || fail "the warm bundle differs"

# another interpreter (the one on PATH): new builds, which import there
mk_app "$T/b" tinyflit tinyhatch tinypoetry
run bundle "$T/b" $C --python python3 -o "$T/b.tar.gz"
expect_rc 0
[ "$(nbuilt)" = 3 ] || fail "expected 3 builds on python3: $(cat "$T/err")"
imports "$T/b.tar.gz" tinyflit tinyhatch tinypoetry

# --no-build-isolation: Debian's own setuptools; another cache key
mk_app "$T/c" tinysetup
run bundle "$T/c" $C --python /usr/bin/python3 --no-build-isolation -o "$T/c.tar.gz"
expect_rc 0
[ "$(nbuilt)" = 1 ] || fail "expected 1 build without isolation: $(cat "$T/err")"
imports "$T/c.tar.gz" tinysetup
exit 0
