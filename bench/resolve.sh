#!/bin/sh
# resolve.sh - `appbuild lock` against `pip install --dry-run --report`
# (pip 23.2.1 as `python3 -m pip`) on the same static indexes, warm caches:
# one hyperfine run per set holding both programs, the ratio of their
# medians, peak RSS (/usr/bin/time -f %M: appbuild from one extra run, pip
# from the timed runs), and whether both pick the same pins.
#
# Sets: the Flask and Django stacks and all roots of ../shared/pyindex, the
# three real-metadata sets of ../shared/bench (app, large, boto), and the
# large resolvelib scenarios of ../shared/conformance (materialized once by
# ../shared/tools/materialize-index into build/bench-idx; their target is
# CPython 3.11 on x86_64 glibc Linux, which is this host, so both programs
# resolve for the host).
#
#   sh bench/resolve.sh                     (from the repository root; needs build/appbuild)
#   SETS="flask large" sh bench/resolve.sh  (some sets only)
#   RUNS=9 PIP=0 sh bench/resolve.sh        (PIP=0: appbuild only, no ratio)
#
# Runs per set: RUNS (default 5) for both programs; sets where pip takes
# tens of seconds run fewer (boto: 1, large and the scenarios: 3, and 1 where
# pip's warm-up run took over 20 s; with PIP=0 every set runs RUNS times).
# pip gets PIP_TIMEOUT seconds (default 120; boto: BOTO_TIMEOUT, default 900)
# a run: pyrex-1.9.8 is known to take pip more than 15 minutes, so its pip
# figure is a lower bound ("> N s").
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
AB=${APPBUILD:-$ROOT/build/appbuild}
RUNS=${RUNS:-5}
PIP=${PIP:-1}
# not PIP_*: the loop below unsets those (pip would read PIP_TIMEOUT)
pip_timeout=${PIP_TIMEOUT:-120}
BOTO_TIMEOUT=${BOTO_TIMEOUT:-900}
IDX=${BENCH_IDX:-$ROOT/build/bench-idx}
SETS=${SETS:-flask django roots app large boto chalice cheroot conflict-with-dependency \
with-without-extras different-extras pyrex-1.9.8}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for v in $(env | sed -n 's/^\(\(PIP\|APPBUILD\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
command -v hyperfine >/dev/null || { echo "resolve.sh: hyperfine is needed" >&2; exit 1; }

canon() { sed 's/[-_.][-_.]*/-/g' | tr 'A-Z' 'a-z' | sort; }
# the median of command N (0-based) of a hyperfine JSON export, in seconds
median() { python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }

# name INDEX-DIR REQUIREMENTS-FILE RUNS [PIP-TIMEOUT]
bench() {
	name=$1 idx="file://$2/simple" reqs=$3 runs=$4 limit=${5:-$pip_timeout}
	[ "$PIP" = 1 ] || runs=$RUNS
	app=$T/$name
	mkdir -p "$app/bin"
	printf 'def application(e, s):\n    pass\n' >"$app/bin/wsgiapp"
	grep -v '^#' "$reqs" >"$app/dependencies.txt"
	abcmd="$AB -q lock $app -U --index-url $idx --cache-dir $T/cache"
	$abcmd >/dev/null 2>&1 # warm the cache
	abrc=$?
	/usr/bin/time -f '%M' -o "$T/abrss" $abcmd >/dev/null 2>&1
	abrss=$(tail -1 "$T/abrss")
	# unsatisfiable sets: the lock fails (exit 7) and hyperfine must go on
	ign=
	[ $abrc = 0 ] || ign=-i
	rm -f "$T/piprss" "$T/r.json"
	pipcmd="/usr/bin/time -a -o $T/piprss -f %M timeout $limit python3 -m pip install -q \
--dry-run --ignore-installed --report $T/r.json --index-url $idx -r $app/dependencies.txt"
	if [ "$PIP" = 1 ]; then
		# warm the OS's caches for pip too (not worth it where it runs once);
		# a set where that takes pip over 20 s is timed once
		if [ "$runs" -gt 1 ]; then
			t0=$(date +%s)
			timeout "$limit" python3 -m pip install -q --dry-run --ignore-installed \
				--index-url "$idx" -r "$app/dependencies.txt" >/dev/null 2>&1
			[ $(($(date +%s) - t0)) -gt 20 ] && runs=1
		fi
		hyperfine -N -i -r "$runs" --export-json "$T/h.json" \
			-n appbuild "$abcmd" -n pip "$pipcmd" >/dev/null 2>&1
	else
		hyperfine -N $ign -r "$runs" --export-json "$T/h.json" -n appbuild "$abcmd" \
			>/dev/null 2>&1
	fi
	ab=$(median "$T/h.json" 0)
	if [ $abrc = 0 ]; then
		sed -n 's/^\([A-Za-z0-9._-]*\)==\([^ ]*\) .*/\1==\2/p' "$app/dependencies.lock" |
			canon >"$T/ours"
		dists=$(wc -l <"$T/ours")
	else
		: >"$T/ours"
		dists="fails"
	fi
	pip=- piprss=- same=- ratio=-
	if [ "$PIP" = 1 ]; then
		pip=$(median "$T/h.json" 1)
		piprss=$(sort -n "$T/piprss" | tail -1)
		if [ -s "$T/r.json" ]; then
			python3 -c 'import json,sys
for i in json.load(open(sys.argv[1]))["install"]:
    print(i["metadata"]["name"] + "==" + i["metadata"]["version"])' "$T/r.json" | canon \
				>"$T/pip"
			cmp -s "$T/ours" "$T/pip" && same=yes || same=NO
		else
			# pip failed or ran out of time: "same" when appbuild failed too
			[ $abrc = 0 ] && same="pip fails" || same="both fail"
		fi
		gt=
		# timed out: a lower bound, and the RSS of a killed pip says nothing
		awk -v p="$pip" -v t="$limit" 'BEGIN { exit !(p >= t - 0.5) }' && gt="> " piprss=-
		ratio=$(awk -v a="$ab" -v p="$pip" -v g="$gt" 'BEGIN { printf "%s%.0fx", g, p / a }')
		pip="$gt$pip"
	fi
	printf '| %-28s | %5s | %8s s | %10s s | %7s | %9s | %9s | %s |\n' "$name" "$dists" "$ab" \
		"$pip" "$ratio" "$abrss" "$piprss" "$same"
}

printf '| set                          | dists | appbuild   | pip          | ratio   | RSS KiB   | pip RSS   | same pins |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---|\n'
echo 'flask' >"$T/flask.txt"
echo 'django' >"$T/django.txt"
for s in $SETS; do
	case $s in
	flask | django) bench "$s" "$SHARED/pyindex" "$T/$s.txt" "$RUNS" ;;
	roots) bench roots "$SHARED/pyindex" "$SHARED/pyindex/ROOTS.txt" "$RUNS" ;;
	app) bench app "$SHARED/bench/app" "$SHARED/bench/app/roots.txt" "$RUNS" ;;
	large) bench large "$SHARED/bench/large" "$SHARED/bench/large/roots.txt" 3 ;;
	boto) bench boto "$SHARED/bench/boto" "$SHARED/bench/boto/roots.txt" 1 "$BOTO_TIMEOUT" ;;
	*)
		sc=$SHARED/conformance/scenarios/resolvelib-$s.json
		[ -f "$sc" ] || { echo "resolve.sh: no set or scenario '$s'" >&2; continue; }
		if [ ! -d "$IDX/$s/simple" ]; then
			mkdir -p "$IDX"
			"$SHARED/tools/materialize-index" --force "$sc" "$IDX/$s" >/dev/null || continue
		fi
		python3 -c 'import json,sys
print("\n".join(json.load(open(sys.argv[1]))["root"]["requirements"]))' "$sc" >"$T/$s.txt"
		bench "resolvelib-$s" "$IDX/$s" "$T/$s.txt" 3
		;;
	esac
done
