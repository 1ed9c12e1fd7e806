#!/bin/sh
# appbuild rpm is reproducible (issue #9): the same app built from two
# directories, with two caches and scratch directories, a second apart,
# gives byte-identical RPMs and identical createrepo_c metadata.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/rpm.sh"
need_shared
need_rpm_cmd
rpm_env
IDX="file://$SHARED/pyindex/simple"
mkdir -p "$T/a" "$T/b/deeper" "$T/tmp-a" "$T/tmp-b"
for d in "$T/a" "$T/b/deeper"; do
	cp -r "$TOP/examples/flask-hello" "$d/"
	rm -rf "$d/flask-hello/dist" "$d/flask-hello/dependencies.lock"
done
# other modes and times in the second copy: the packages must not see them
chmod 600 "$T/b/deeper/flask-hello/hello/"*
touch -d '2001-02-03' "$T/b/deeper/flask-hello/appbuild.yaml"

TMPDIR=$T/tmp-a run rpm "$T/a/flask-hello" --cache-dir "$T/cache-a" --index-url "$IDX" --repo "$T/a/repo"
expect_rc 0
cp "$T/out" "$T/out-a"
sleep 1
TMPDIR=$T/tmp-b run rpm "$T/b/deeper/flask-hello" --cache-dir "$T/cache-b" --index-url "$IDX" \
	--repo "$T/b/repo"
expect_rc 0
n=0
for f in $(sed 's|.*/||' "$T/out-a"); do
	cmp "$T/a/flask-hello/dist/$f" "$T/b/deeper/flask-hello/dist/$f" || fail "$f differs"
	n=$((n + 1))
done
[ $n = 10 ] || fail "$n packages compared, expected 10"
diff -r "$T/a/repo/repodata" "$T/b/repo/repodata" || fail "repository metadata differs"
exit 0
