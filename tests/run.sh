#!/bin/sh
# run.sh - run every suite of `make check` and close with "N passed, N failed".
#
#   run.sh UNIT_BIN... -- VECTOR_BIN -- CLI_SCRIPT...
#
# Unit tests are cmocka binaries (TAP output, one count per test); the vector
# runner counts one per case; each end-to-end script counts as one test.
# ../shared missing is a failure, not a skip.
set -u
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ ! -d "${SHARED:-../shared}/vectors" ]; then
	echo "run.sh: ${SHARED:-../shared} is missing: the vector and end-to-end tests need it" >&2
	failed=$((failed + 1))
fi

phase=unit
for t in "$@"; do
	if [ "$t" = "--" ]; then
		case $phase in unit) phase=vectors ;; vectors) phase=cli ;; esac
		continue
	fi
	case $phase in
	unit)
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		if [ "$f" -ne 0 ]; then
			echo "FAIL $(basename "$t"):"; grep -v '^ok ' "$log" | sed 's/^/  /'
		else
			echo "ok   $(basename "$t"): $p tests"
		fi
		passed=$((passed + p)); failed=$((failed + f))
		;;
	vectors)
		"$t" >"$log" 2>&1
		rc=$?
		grep -v '^vectors: [0-9]* passed' "$log"
		p=$(sed -n 's/^vectors: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
		f=$(sed -n 's/^vectors: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
		[ -n "$p" ] || { p=0; f=1; }
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + p)); failed=$((failed + f))
		;;
	cli)
		name=$(basename "$t" .sh)
		if sh "$t" >"$log" 2>&1; then
			echo "ok   cli/$name"; passed=$((passed + 1))
		else
			echo "FAIL cli/$name:"; sed 's/^/  /' "$log" | tail -n 30; failed=$((failed + 1))
		fi
		;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
