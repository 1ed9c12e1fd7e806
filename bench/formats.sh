#!/bin/sh
# bench/formats.sh - PEP 440 parse + sort: appbuild's C against Python's
# packaging (pip's vendored copy), same inputs, same machine, one run.
# Inputs: every version string in ../shared (vectors, pyindex, bench indexes).
set -eu
SHARED=${SHARED:-../shared}
[ -d "$SHARED/vectors" ] || { echo "bench/formats.sh: $SHARED is missing" >&2; exit 1; }
PY=${PYTHON:-python3}
list=$(mktemp)
trap 'rm -f "$list"' EXIT
$PY bench/collect_versions.py "$SHARED" >"$list"
c=$(build/bench/bench_formats "$list" 21)
p=$(env -u PIP_FIND_LINKS $PY bench/formats_peer.py "$list" 21)
echo "appbuild (C):        $c"
echo "packaging (Python):  $p"
num() { echo "$1" | sed "s/.*: \([0-9.]*\) ms (parse \([0-9.]*\) ms)/\1 \2/"; }
set -- $(num "$c") $(num "$p")
awk -v c="$1" -v cp="$2" -v p="$3" -v pp="$4" 'BEGIN {
	printf "ratio: %.1fx faster (parse alone %.1fx, sort alone %.1fx)\n", p / c, pp / cp, (p - pp) / (c - cp) }'
