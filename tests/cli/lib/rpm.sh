# rpm.sh - helpers for the `appbuild rpm` tests (source after common.sh).
#
#   need_rpm_cmd        ends the test (status 0, with a note) while `appbuild
#                       rpm` is not a command of $APPBUILD yet: NEEDSWORK(#9)
#   rpm_env             SOURCE_DATE_EPOCH, TMPDIR under $T, the system PATH
#                       (the packages name /usr/bin/python3.X)
#   rpm_lint FILE...    rpmlint with the filters SPEC.md ("RPM packages")
#                       explains; fails on any error, keeps the report in
#                       $T/lint.txt

need_rpm_cmd() {
	for t in rpm rpmlint createrepo_c; do
		command -v "$t" >/dev/null || fail "$t is not installed (make deps)"
	done
	if ! "$APPBUILD" rpm --help >/dev/null 2>&1; then
		echo "$0: NEEDSWORK(#9): 'appbuild rpm' is not wired into cli/ yet: not run" >&2
		exit 0
	fi
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
