#!/bin/sh
# The conformance runner (tests/conformance/run.c) survives a scenario that
# hangs or crashes: --timeout kills it, a crash is reported, and the other
# scenarios are judged as usual (CONF_TEST_HANG / CONF_TEST_CRASH: hooks of
# the runner that make one scenario hang or abort).
. "$(dirname "$0")/lib/common.sh"
CONF=$TOP/build/san/bin/conformance
[ -x "$CONF" ] || fail "$CONF is missing: make build/san/bin/conformance"
S=$TOP/tests/conformance/scenarios
mkdir "$T/s"
for n in packse-no-wheels packse-specific-tag-and-default packse-yanked-wildcard-pin; do
	cp "$S/$n.json" "$T/s/"
done

conf() {
	"$CONF" -q "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
	echo "\$ conformance $*" >>"$T/log"
}
strip_ms() { sed 's/ ([0-9.]* ms.*)$//' "$T/out" >"$T/out.x" && mv "$T/out.x" "$T/out"; }
json_of() { # name: satisfiable and error of one scenario in $T/j.json
	python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))[sys.argv[2]]
print(e["satisfiable"], e["resolution"], e["error"])' "$T/j.json" "$1"
}

conf --timeout 0 --json "$T/j.json" "$T/s"
expect_rc 0
strip_ms
expect_out <<EOF
PASS packse-no-wheels
PASS packse-specific-tag-and-default
PASS packse-yanked-wildcard-pin
packse: 3 passed, 0 failed, 0 other
conformance: 3/3 passed
EOF

start=$(date +%s)
CONF_TEST_HANG=packse-no-wheels conf --timeout 1 --json "$T/j.json" "$T/s"
[ $(($(date +%s) - start)) -lt 10 ] || fail "the time limit did not stop the hang"
expect_rc 1
strip_ms
expect_out <<EOF
FAIL packse-no-wheels: no answer within 1 s
PASS packse-specific-tag-and-default
PASS packse-yanked-wildcard-pin
packse: 2 passed, 1 failed, 0 other
conformance: 2/3 passed
EOF
[ "$(json_of packse-no-wheels)" = "None None timeout after 1 s" ] ||
	fail "json: $(json_of packse-no-wheels)"
[ "$(json_of packse-specific-tag-and-default)" = "True {'a': '1.0.0'} None" ] ||
	fail "json: $(json_of packse-specific-tag-and-default)"

CONF_TEST_CRASH=packse-specific-tag-and-default conf --json "$T/j.json" "$T/s"
expect_rc 1
strip_ms
expect_out <<EOF
PASS packse-no-wheels
FAIL packse-specific-tag-and-default: resolver crashed (signal 6)
PASS packse-yanked-wildcard-pin
packse: 2 passed, 1 failed, 0 other
conformance: 2/3 passed
EOF
[ "$(json_of packse-specific-tag-and-default)" = "None None resolver crashed (signal 6)" ] ||
	fail "json: $(json_of packse-specific-tag-and-default)"

conf --timeout 1s "$T/s"
expect_rc 2
expect_err <<EOF
run: --timeout wants whole seconds, not '1s'
EOF
exit 0
