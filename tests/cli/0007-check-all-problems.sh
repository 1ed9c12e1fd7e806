#!/bin/sh
# Every file is checked even after one fails: the first error of each file,
# in a fixed order, and the exit status of the first.
. "$(dirname "$0")/lib/common.sh"

cd "$FIXTURES/many-problems" || exit 1
run check
expect_rc 3
expect_out </dev/null
expect_err <<'OUT'
appbuild.yaml:2:13: error: unknown supervisor 'systemdd'
  note: did you mean 'systemd'?
dependencies.txt:2:8: error: invalid requirement 'django>=': expected version after '>='
external-dependencies.txt:1:9: error: unclosed '(' (expected ')' after version)
bin/wsgiapp: error: required file is missing
  note: bin/wsgiapp is the Python module that defines the WSGI callable 'application'
OUT

# --json prints nothing when there are problems
run check --json
expect_rc 3
expect_out </dev/null

# a directory name that cannot be a project name needs `name:`
cd "$FIXTURES/Bad Name" || exit 1
run check
expect_rc 4
expect_err <<'OUT'
appbuild: error: cannot use the directory name 'Bad Name' as the app's name
  note: set 'name' in appbuild.yaml
OUT
