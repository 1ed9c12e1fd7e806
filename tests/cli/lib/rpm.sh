# rpm.sh - helpers for the `appbuild rpm` tests (source after common.sh).
#
#   need_rpm_cmd        rpm, rpmlint and createrepo_c are installed (else
#                       the test fails: make deps)
#   rpm_env             SOURCE_DATE_EPOCH, TMPDIR under $T, the system PATH
#                       (the packages name /usr/bin/python3.X)
#   rpm_lint FILE...    rpmlint with the filters SPEC.md ("RPM packages")
#                       explains; fails on any error, keeps the report in
#                       $T/lint.txt
#   rpm_scratch_root R  an empty root R with an rpm database and only what
#                       the scriptlets run (/bin/sh, rm, rmdir, find and
#                       their libraries), so `rpm --root R` runs them

need_rpm_cmd() {
	for t in rpm rpmlint createrepo_c; do
		command -v "$t" >/dev/null || fail "$t is not installed (make deps)"
	done
}

rpm_env() {
	SOURCE_DATE_EPOCH=1700000000
	TMPDIR=$T/tmp
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	export SOURCE_DATE_EPOCH TMPDIR PATH
	mkdir -p "$T/tmp"
}

# By design, not defects: /opt is the place of add-on packages (issue #9;
# the DEBs carry a lintian override for the same); signing is the
# deployer's (tests/unit/pkg_rpm_test.c signs copies and lints them without
# this filter); rpmlint takes a 2-3 letter name ending (-six, -app) for a
# language pack (Fedora's own rpmlint configuration filters it too).
rpm_lint() {
	printf '%s\n' "Filters = [' dir-or-file-in-opt ', ' no-signature', ' no-dependency-on locales-']" \
		>"$T/lint.toml"
	rpmlint -c "$T/lint.toml" "$@" >"$T/lint.txt" 2>&1
	st=$?
	if [ $st -ne 0 ] || ! grep -q ' 0 errors' "$T/lint.txt"; then
		cat "$T/lint.txt" >&2
		fail "rpmlint found errors (status $st)"
	fi
}

rpm_scratch_root() {
	mkdir -p "$1/bin" "$1/usr/bin" "$1/dev"
	for prog in sh rm rmdir find; do
		p=$(command -v "$prog") || fail "no $prog"
		cp -L "$p" "$1/bin/$prog"
		ldd "$p" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*\) .*|\1|p' |
			while read -r lib; do
				mkdir -p "$1$(dirname "$lib")"
				cp -L "$lib" "$1$lib"
			done
	done
	mknod "$1/dev/null" c 1 3 2>/dev/null || : >"$1/dev/null"
	rpm --root "$1" --initdb 2>/dev/null || fail "rpm --initdb"
	# what is there before any package: the test checks nothing else is
	# left after erasing
	(cd "$1" && find . -not -type d | sort) >"$T/root-before"
}
