#!/bin/sh
# appbuild.yaml problems: yaml syntax (libyaml's message at its mark),
# unknown keys with a suggestion, wrong types, bad values.
. "$(dirname "$0")/lib/common.sh"

cd "$FIXTURES/bad-yaml" || exit 1
run check
expect_rc 3
expect_out </dev/null
expect_err <<'OUT'
appbuild.yaml:4:11: error: mapping values are not allowed in this context
OUT

cd "$FIXTURES/unknown-key" || exit 1
run check
expect_rc 3
expect_err <<'OUT'
appbuild.yaml:2:1: error: unknown key 'proceses'
  note: did you mean 'processes'?
OUT

cd "$FIXTURES/wrong-type" || exit 1
run check
expect_rc 3
expect_err <<'OUT'
appbuild.yaml:3:3: error: expected a mapping for 'processes', got a sequence
OUT

# a yaml name wins over the directory's, canonicalized
mkdir -p "$T/app/bin"
: >"$T/app/dependencies.txt"
echo 'application = 1' >"$T/app/bin/wsgiapp"
printf 'name: My_Service\nversion: "2.0.0-beta.1"\n' >"$T/app/appbuild.yaml"
run check "$T/app"
expect_rc 0
expect_out_has "my-service 2.0.0b1: ok"

printf 'name: ok\nversion: next\n' >"$T/app/appbuild.yaml"
run check "$T/app"
expect_rc 3
head -n 1 "$T/err" >"$T/first"
expect_same stderr "$T/first" <<OUT
$T/app/appbuild.yaml:2:10: error: invalid version 'next'
OUT

printf 'processes:\n  web:\n    command: gunicorn\n    count: 0\n' >"$T/app/appbuild.yaml"
run check "$T/app"
expect_rc 3
expect_err <<OUT
$T/app/appbuild.yaml:4:12: error: 'count' must be at least 1, got 0
OUT
