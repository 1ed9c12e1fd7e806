#!/bin/sh
# run.sh - run every suite of `make check` and close with "N passed, N failed".
#
#   run.sh --unit BIN... --vectors BIN --conformance BIN --once CMD... --cli SCRIPT...
#
# --unit: cmocka binaries (TAP output, one count per test); --vectors: the
# vector runner (one count per case); --conformance: the resolver scenario
# runner (one count per scenario); --once: commands that count as one test
# each (a quoted command line); --cli: end-to-end scripts, one test each.
# ../shared missing is a failure, not a skip.
#
# CLI scripts run CLI_JOBS at a time (default 3: most of their time is spent
# waiting on Python, gunicorn and sockets), after the ones that hold the line
# `# test: serial` (they change the system, e.g. through apt, or measure
# time) have run alone; results are printed in the order given, with each
# script's wall time.
set -u
passed=0
failed=0
log=$(mktemp)
clidir=$(mktemp -d)
trap 'rm -rf "$log" "$clidir"' EXIT

if [ ! -d "${SHARED:-../shared}/vectors" ]; then
	echo "run.sh: ${SHARED:-../shared} is missing: the vector and end-to-end tests need it" >&2
	failed=$((failed + 1))
fi

# Tests are hermetic: the caller's pip and appbuild settings (PIP_FIND_LINKS,
# PIP_INDEX_URL, APPBUILD_CACHE_DIR, ...) must not leak into them.
for v in $(env | sed -n 's/^\(\(PIP\|APPBUILD\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

# count PASSED FAILED RC: add a suite's counts; a crash with no failure
# counted is one failure
count() {
	p=$1 f=$2
	[ -n "$p" ] || p=0
	[ -n "$f" ] || f=0
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
}

phase=
for t in "$@"; do
	case $t in --unit|--vectors|--conformance|--once|--cli) phase=$t; continue ;; esac
	case $phase in
	--unit)
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
			echo "FAIL $(basename "$t"):"; grep -v '^ok ' "$log" | sed 's/^/  /'
		else
			echo "ok   $(basename "$t"): $p tests"
		fi
		count "$p" "$f" "$rc"
		;;
	--vectors)
		"$t" >"$log" 2>&1
		rc=$?
		grep -v '^vectors: [0-9]* passed' "$log"
		line=$(grep '^vectors: [0-9]* passed, [0-9]* failed$' "$log")
		count "$(echo "$line" | sed 's/^vectors: \([0-9]*\) passed.*/\1/')" \
			"$(echo "$line" | sed 's/.* \([0-9]*\) failed$/\1/')" "$rc"
		[ -n "$line" ] || count 0 1 0
		;;
	--conformance)
		"$t" -q >"$log" 2>&1
		rc=$?
		grep -E '^(FAIL|DIFF|conformance:)' "$log"
		count "$(grep -c '^PASS' "$log")" "$(grep -c '^FAIL' "$log")" "$rc"
		;;
	--once)
		if sh -c "$t" >"$log" 2>&1; then
			echo "ok   $t: $(tail -n 1 "$log")"; count 1 0 0
		else
			echo "FAIL $t:"; tail -n 30 "$log" | sed 's/^/  /'; count 0 1 0
		fi
		;;
	--cli)
		echo "$t" >>"$clidir/all"
		if grep -q '^# test: serial' "$t"; then
			echo "$t" >>"$clidir/serial"
		else
			echo "$t" >>"$clidir/parallel"
		fi
		;;
	*)
		echo "run.sh: '$t' given before any suite option" >&2; count 0 1 0
		;;
	esac
done
# one CLI script: its output in DIR/NAME.log, "RC SECONDS" in DIR/NAME.rc
cli_one='t=$1 d=$2; n=$(basename "$t" .sh); s=$(date +%s)
sh "$t" >"$d/$n.log" 2>&1; rc=$?
echo "$rc $(( $(date +%s) - s ))" >"$d/$n.rc"'
if [ -f "$clidir/all" ]; then
	[ -f "$clidir/serial" ] && while read -r t; do
		sh -c "$cli_one" sh "$t" "$clidir"
	done <"$clidir/serial"
	[ -f "$clidir/parallel" ] &&
		xargs -P "${CLI_JOBS:-3}" -I{} sh -c "$cli_one" sh {} "$clidir" <"$clidir/parallel"
	while read -r t; do
		name=$(basename "$t" .sh)
		read -r rc secs <"$clidir/$name.rc" || { rc=1 secs=0; }
		if [ "$rc" = 0 ]; then
			echo "ok   cli/$name (${secs} s)"; count 1 0 0
		else
			echo "FAIL cli/$name (${secs} s):"
			sed 's/^/  /' "$clidir/$name.log" | tail -n 30; count 0 1 0
		fi
	done <"$clidir/all"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
