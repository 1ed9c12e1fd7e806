#!/bin/sh
# dependencies.txt problems: file:line:col of the bad requirement, include
# cycles and missing includes at the including line, a missing file.
. "$(dirname "$0")/lib/common.sh"

cd "$FIXTURES/bad-requirement" || exit 1
run check
expect_rc 3
expect_out </dev/null
expect_err <<'OUT'
dependencies.txt:2:7: error: invalid requirement 'flask==': expected version after '=='
OUT

# the same, named from outside: the path is part of the location
cd "$FIXTURES" || exit 1
run check bad-requirement
expect_rc 3
expect_err <<'OUT'
bad-requirement/dependencies.txt:2:7: error: invalid requirement 'flask==': expected version after '=='
OUT

cd "$FIXTURES/include-cycle" || exit 1
run check
expect_rc 3
expect_err <<'OUT'
base.txt:2:4: error: requirements files include each other: 'dependencies.txt' -> 'base.txt' -> 'dependencies.txt'
  note: included from dependencies.txt:2
OUT

cd "$FIXTURES/missing-include" || exit 1
run check
expect_rc 5
expect_err <<'OUT'
dependencies.txt:2:4: error: could not open requirements file 'nowhere.txt': no such file or directory
OUT

cd "$FIXTURES/no-dependencies" || exit 1
run check
expect_rc 4
expect_err <<'OUT'
dependencies.txt: error: required file is missing
  note: an app lists its Python requirements in dependencies.txt (it may be empty)
OUT

cd "$FIXTURES/bad-extdeps" || exit 1
run check
expect_rc 3
expect_err <<'OUT'
external-dependencies.txt:2:9: error: unclosed '(' (expected ')' after version)
OUT
