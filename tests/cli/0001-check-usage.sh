#!/bin/sh
# The command line itself: help, version, usage errors (exit 2) with hints.
. "$(dirname "$0")/lib/common.sh"

run --help
expect_rc 0
expect_out_has "usage: appbuild [OPTIONS] COMMAND [ARGS]"
expect_out_has "  check     check an app directory without building anything"
grep -Eq '^  lock ' "$T/out" || fail "--help does not list 'lock'"
grep -Eq '^  bundle ' "$T/out" || fail "--help does not list 'bundle'"
for c in check lock bundle deb rpm index cache; do
	grep -Eq "^  $c " "$T/out" || fail "--help does not list '$c'"
done

run --version
expect_rc 0
grep -Eq '^appbuild [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "--version: $(cat "$T/out")"

run
expect_rc 2
expect_err <<'OUT'
appbuild: error: no command given
  note: see 'appbuild --help' for the commands
OUT

run chek
expect_rc 2
expect_out </dev/null
expect_err <<'OUT'
appbuild: error: unknown command 'chek'
  note: did you mean 'check'?
  note: see 'appbuild --help' for the commands
OUT

run frobnicate
expect_rc 2
expect_err <<'OUT'
appbuild: error: unknown command 'frobnicate'
  note: see 'appbuild --help' for the commands
OUT

run --colour=never check
expect_rc 2
expect_err <<'OUT'
appbuild: error: unknown option '--colour'
  note: did you mean '--color'?
  note: see 'appbuild --help'
OUT

run --color=sometimes check
expect_rc 2
expect_err <<'OUT'
appbuild: error: invalid value 'sometimes' for '--color'
  note: expected one of 'auto', 'always', 'never'
  note: see 'appbuild --help'
OUT

run check --jsno "$FIXTURES/minimal"
expect_rc 2
expect_err <<'OUT'
appbuild: error: unknown option '--jsno'
  note: did you mean '--json'?
  note: see 'appbuild check --help'
OUT

run check --json=yes "$FIXTURES/minimal"
expect_rc 2
expect_err <<'OUT'
appbuild: error: option '--json' takes no value
  note: see 'appbuild check --help'
OUT

run check a b
expect_rc 2
expect_err <<'OUT'
appbuild: error: unexpected argument 'b'
  note: see 'appbuild check --help'
OUT

run check --help
expect_rc 0
expect_out_has "usage: appbuild check [OPTIONS] [DIR]"
expect_out_has "      --json                print the parsed app as JSON on stdout"

run check "$T/nonexistent"
expect_rc 5
expect_err <<OUT
$T/nonexistent: error: cannot open app directory: no such file or directory
OUT

# --color=always colours the label only
run --color=always chek
expect_rc 2
printf 'appbuild: \033[1;31merror:\033[0m unknown command '"'chek'"'\n' >"$T/want_line"
head -n 1 "$T/err" | cmp -s - "$T/want_line" || fail "--color=always: $(head -n 1 "$T/err")"
