#!/bin/sh
# 4 appbuild processes read the metadata of every wheel in ../shared/pyindex
# at once over the test server, filling one cache; they all succeed with
# the same output, and `appbuild cache verify` finds every entry intact.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
need_shared
start_server "$SHARED/pyindex"
C=$T/cache

set --
n=0
for w in "$SHARED"/pyindex/files/*.whl; do
	b=$(basename "$w" .whl)
	name=${b%%-*}
	rest=${b#*-}
	set -- "$@" "$name==${rest%%-*}"
	n=$((n + 1))
done

pids=
for i in 1 2 3 4; do
	"$APPBUILD" index metadata --json --cache-dir "$C" -j 8 -i "$BASE/simple/" "$@" \
		>"$T/out$i" 2>"$T/err$i" &
	pids="$pids $!"
done
i=0
for p in $pids; do
	i=$((i + 1))
	wait "$p" || { cat "$T/err$i" >&2; fail "process $i failed"; }
done
for i in 2 3 4; do
	cmp -s "$T/out1" "$T/out$i" || fail "process $i printed other metadata than process 1"
done
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out1")
[ "$got" = "$n" ] || fail "$got metadata files, expected $n"

run cache verify --cache-dir "$C"
expect_rc 0
# one page and one metadata sidecar per wheel (some projects share a page)
grep -q "^[0-9]* files and [0-9]* pages, [0-9.]* [kMG]\{0,1\}B: 0 corrupt$" "$T/out" ||
	fail "$(cat "$T/out")"
files=$(sed 's/ files.*//' "$T/out")
[ "$files" -ge "$n" ] || fail "$files files in the cache, expected at least $n"
expect_err </dev/null
[ -z "$(ls "$C/tmp")" ] || fail "temporary files left behind: $(ls "$C/tmp")"

# and a fifth run, offline, answers everything from that cache
run index metadata --json --cache-dir "$C" --offline -i "$BASE/simple/" "$@"
expect_rc 0
cmp -s "$T/out1" "$T/out" || fail "the offline run printed other metadata"
exit 0
