#!/bin/sh
# appbuild deb and appbuild rpm with pins that are not index wheels (issues
# #9 and #10): an sdist built through PEP 517 (--no-binary) and a local
# project directory (flit-core backend, from ../shared/pyindex) become
# packages like any wheel: the sdist's package holds the built
# distribution, the local project's holds its PEP 610 direct_url.json, and
# the app package pins both exactly.
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
# the index's setuptools builds only on Debian's CPython (its README)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp" "$T/app/bin" "$T/app/libs/tiny/tiny"
printf 'def application(environ, start_response):\n    pass\n' >"$T/app/bin/wsgiapp"
printf 'translationstring\n./libs/tiny\n' >"$T/app/dependencies.txt"
cat >"$T/app/libs/tiny/pyproject.toml" <<'TOML'
[build-system]
requires = ["flit_core>=3.2"]
build-backend = "flit_core.buildapi"

[project]
name = "tiny"
version = "0.3"
description = "a local project"
TOML
echo '"""tiny"""' >"$T/app/libs/tiny/tiny/__init__.py"

run deb "$T/app" $C --no-binary translationstring -o "$T/deb"
expect_rc 0
grep -q "building 'translationstring' 1.4 from source" "$T/err" ||
	fail "the sdist was not built: $(cat "$T/err")"
for f in app-python3-translationstring_1.4-1_all.deb app-python3-tiny_0.3-1_all.deb; do
	[ -f "$T/deb/$f" ] || fail "missing $f: $(ls "$T/deb")"
done
SP=/opt/app/lib/python3.11/site-packages
dpkg-deb -c "$T/deb/app-python3-translationstring_1.4-1_all.deb" |
	grep "\.$SP/translationstring/__init__.py\$" >/dev/null || fail "translationstring's package has no module"
dpkg-deb -c "$T/deb/app-python3-tiny_0.3-1_all.deb" |
	grep "\.$SP/tiny-0.3.dist-info/direct_url.json\$" >/dev/null || fail "tiny has no direct_url.json"
dep=$(dpkg-deb -f "$T/deb/app_0-1_$(dpkg --print-architecture).deb" Depends)
for p in "app-python3-tiny (= 0.3-1)" "app-python3-translationstring (= 1.4-1)"; do
	case ", $dep, " in *", $p, "*) ;; *) fail "app Depends lacks '$p': $dep" ;; esac
done

# the same pins as RPMs; the sdist's wheel now comes from the build cache
run rpm "$T/app" $C --no-binary translationstring -o "$T/rpm"
expect_rc 0
grep -q "building 'translationstring'" "$T/err" && fail "the sdist was built twice"
rpm -qpl "$T/rpm/app-python3-tiny-0.3-1.noarch.rpm" 2>/dev/null |
	grep -qx "$SP/tiny-0.3.dist-info/direct_url.json" || fail "tiny's RPM has no direct_url.json"
rpm -qp --requires "$T/rpm/app-0-1.$(uname -m).rpm" 2>/dev/null |
	grep -qx 'app-python3-translationstring = 1.4-1' || fail "the app RPM does not pin translationstring"
echo "ok"
