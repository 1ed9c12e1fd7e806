#!/bin/sh
# bench/bundle.sh - `appbuild bundle examples/flask-hello` (warm cache,
# file:// index, fresh lock) against `python3 -m venv --without-pip` +
# `python3 -m pip --python VENV install --no-deps <the same wheel files>`
# (byte-compiles, as appbuild does by default) + `tar czf`, and against the
# floor: `tar czf` of the already-installed tree. Medians of 3 runs; prints
# both ratios and appbuild's peak RSS (/usr/bin/time -v).
#
#   sh bench/bundle.sh [APPBUILD]        (default build/appbuild)
set -eu
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_NO_INDEX PIP_REQUIRE_VIRTUALENV \
	APPBUILD_FIND_LINKS APPBUILD_EXTRA_INDEX_URL APPBUILD_INDEX_URL APPBUILD_NO_INDEX
for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
here=$(cd "$(dirname "$0")/.." && pwd)
appbuild=${1:-$here/build/appbuild}
shared=${SHARED:-$here/../shared}
runs=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$tmp/t
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$TMPDIR"

now() { python3 -c 'import time; print(time.monotonic())'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

app=$tmp/flask-hello
cp -r "$here/examples/flask-hello" "$app"
rm -rf "$app/dist" "$app/dependencies.lock"
opts="--cache-dir $tmp/cache --index-url file://$shared/pyindex/simple"
"$appbuild" lock "$app" $opts >/dev/null 2>&1
# warm-up: fills the cache
"$appbuild" bundle "$app" $opts -o "$tmp/warm.tar.gz" >/dev/null 2>&1

: >"$tmp/a"
: >"$tmp/p"
: >"$tmp/f"
for i in $(seq "$runs"); do
	t0=$(now)
	/usr/bin/time -v -o "$tmp/time.$i" "$appbuild" bundle "$app" $opts -o "$tmp/a.tar.gz" \
		>/dev/null 2>&1
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$tmp/a"
done
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp"/time.* | sort -n | tail -1)

# the same wheel files appbuild installed
mkdir -p "$tmp/tree"
tar xzf "$tmp/a.tar.gz" -C "$tmp/tree"
set --
for f in $(python3 -c 'import json, sys
for d in json.load(open(sys.argv[1]))["distributions"]: print(d["file"])' \
	"$tmp/tree/flask-hello-1.0.0/appbuild.json"); do
	set -- "$@" "$shared/pyindex/files/$f"
done
for i in $(seq "$runs"); do
	rm -rf "$tmp/pipvenv" "$tmp/p.tar.gz"
	t0=$(now)
	python3 -m venv --without-pip "$tmp/pipvenv"
	python3 -m pip --python "$tmp/pipvenv/bin/python" install --no-deps --no-index -q \
		--disable-pip-version-check "$@" >/dev/null 2>&1
	tar czf "$tmp/p.tar.gz" -C "$tmp" pipvenv
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$tmp/p"
done
for i in $(seq "$runs"); do
	rm -f "$tmp/f.tar.gz"
	t0=$(now)
	tar czf "$tmp/f.tar.gz" -C "$tmp/tree" flask-hello-1.0.0
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$tmp/f"
done
a=$(median <"$tmp/a")
p=$(median <"$tmp/p")
f=$(median <"$tmp/f")
echo "distributions: $#; medians of $runs runs"
printf 'appbuild bundle:               %.3f s (peak RSS %s KiB)\n' "$a" "$rss"
printf 'venv + pip install + tar czf:  %.3f s\n' "$p"
printf 'floor (tar czf of the tree):   %.3f s\n' "$f"
printf 'pip / appbuild:                %.1fx (goal >= 20x)\n' "$(echo "$p / $a" | bc -l)"
printf 'appbuild / floor:              %.2fx (goal <= 1.5x)\n' "$(echo "$a / $f" | bc -l)"
