#!/bin/sh
# resolve.sh - `appbuild lock` against `pip install --dry-run --report` on the
# same static indexes, warm caches, median of N runs (default 5; pip: 3, and
# 1 for boto, which takes pip about 90 s), appbuild's median user+system
# CPU time (wall far above it means waiting, not working), peak RSS from
# /usr/bin/time, and whether both pick the same pins.
#
#   sh bench/resolve.sh            (from the repository root; needs build/appbuild)
#   RUNS=9 PIP=0 sh bench/resolve.sh   (PIP=0: appbuild only)
set -u
SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
AB=${APPBUILD:-$(cd "$(dirname "$0")/.." && pwd)/build/appbuild}
RUNS=${RUNS:-5}
PIP=${PIP:-1}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for v in $(env | sed -n 's/^\(\(PIP\|APPBUILD\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
canon() { sed 's/[-_.][-_.]*/-/g' | tr 'A-Z' 'a-z' | sort; }

# name INDEX-DIR REQUIREMENTS-FILE
bench() {
	name=$1 idx="file://$2/simple" reqs=$3
	app=$T/$name
	mkdir -p "$app/bin"
	printf 'def application(e, s):\n    pass\n' >"$app/bin/wsgiapp"
	grep -v '^#' "$reqs" >"$app/dependencies.txt"
	"$AB" -q lock "$app" --index-url "$idx" --cache-dir "$T/cache" >/dev/null 2>&1 # warm
	: >"$T/t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %M %U %S' -o "$T/one" "$AB" -q lock "$app" -U --index-url "$idx" \
			--cache-dir "$T/cache" >/dev/null 2>&1
		cat "$T/one" >>"$T/t"
		i=$((i + 1))
	done
	ab=$(cut -d' ' -f1 "$T/t" | median)
	abrss=$(cut -d' ' -f2 "$T/t" | sort -n | tail -1)
	abcpu=$(awk '{ printf "%.2f\n", $3 + $4 }' "$T/t" | median)
	sed -n 's/^\([A-Za-z0-9._-]*\)==\([^ ]*\) .*/\1==\2/p' "$app/dependencies.lock" | canon \
		>"$T/ours"
	pip=- piprss=- same=-
	if [ "$PIP" = 1 ]; then
		runs=3
		[ "$name" = boto ] && runs=1
		python3 -m pip install -q --dry-run --ignore-installed --report "$T/r.json" \
			--index-url "$idx" -r "$app/dependencies.txt" >/dev/null 2>&1 # warm
		: >"$T/t"
		i=0
		while [ $i -lt $runs ]; do
			/usr/bin/time -f '%e %M' -o "$T/one" python3 -m pip install -q --dry-run \
				--ignore-installed --report "$T/r.json" --index-url "$idx" \
				-r "$app/dependencies.txt" >/dev/null 2>&1
			cat "$T/one" >>"$T/t"
			i=$((i + 1))
		done
		pip=$(cut -d' ' -f1 "$T/t" | median)
		piprss=$(cut -d' ' -f2 "$T/t" | sort -n | tail -1)
		python3 -c 'import json,sys
for i in json.load(open(sys.argv[1]))["install"]:
    print(i["metadata"]["name"] + "==" + i["metadata"]["version"])' "$T/r.json" | canon \
			>"$T/pip"
		cmp -s "$T/ours" "$T/pip" && same=yes || same=NO
	fi
	ratio=$(awk -v a="$ab" -v p="$pip" 'BEGIN { if (p == "-" || a == 0) print "-"; else printf "%.0fx", p / a }')
	printf '| %-8s | %5s | %8s s | %6s s | %8s s | %6s | %8s | %8s | %s |\n' "$name" \
		"$(wc -l <"$T/ours")" "$ab" "$abcpu" "$pip" "$ratio" "$abrss" "$piprss" "$same"
}

printf '| set      | dists | appbuild   | CPU      | pip        | ratio  | RSS KiB  | pip RSS  | same pins |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
echo 'flask' >"$T/flask.txt"
echo 'django' >"$T/django.txt"
bench flask "$SHARED/pyindex" "$T/flask.txt"
bench django "$SHARED/pyindex" "$T/django.txt"
bench roots "$SHARED/pyindex" "$SHARED/pyindex/ROOTS.txt"
for s in ${SETS:-app large boto}; do
	bench "$s" "$SHARED/bench/$s" "$SHARED/bench/$s/roots.txt"
done
