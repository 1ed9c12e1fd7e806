# common.sh - helpers for the end-to-end scripts: source it, then
#
#   run check DIR            runs "$APPBUILD" with the arguments; keeps stdout,
#                            stderr and the exit status
#   expect_rc 3              the exit status
#   expect_out <<EOF ... EOF stdout, exactly (expect_out </dev/null: empty)
#   expect_err <<EOF ... EOF stderr, exactly
#   expect_out_has TEXT      a line of stdout equals TEXT
#
# Every failed expectation prints what differs and ends the script with 1.
set -u
: "${APPBUILD:?APPBUILD is not set: run the end-to-end tests through make check}"
[ -x "$APPBUILD" ] || { echo "APPBUILD=$APPBUILD is not an executable" >&2; exit 1; }
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FIXTURES=$TOP/tests/fixtures/apps
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# No colour, whatever the terminal.
NO_COLOR=1
export NO_COLOR

need_shared() {
	SHARED=${SHARED:-$TOP/../shared}
	if [ ! -d "$SHARED/pyindex" ]; then
		echo "$0: $SHARED/pyindex is missing: this test needs ../shared" >&2
		exit 1
	fi
}

run() {
	"$APPBUILD" "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
	echo "\$ appbuild $*" >>"$T/log"
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- commands:" >&2
	cat "$T/log" >&2
	exit 1
}

expect_rc() {
	got=$(cat "$T/rc")
	[ "$got" = "$1" ] || {
		echo "stderr was:" >&2
		cat "$T/err" >&2
		fail "exit status $got, expected $1"
	}
}

expect_same() { # which-stream file
	cat >"$T/want"
	if ! cmp -s "$T/want" "$2"; then
		echo "$1 differs (- expected, + actual):" >&2
		diff -u "$T/want" "$2" | tail -n +3 >&2
		fail "$1"
	fi
}

expect_out() { expect_same stdout "$T/out"; }
expect_err() { expect_same stderr "$T/err"; }

expect_out_has() {
	grep -qxF -- "$1" "$T/out" || {
		cat "$T/out" >&2
		fail "no stdout line: $1"
	}
}
