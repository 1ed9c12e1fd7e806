#!/bin/sh
# bin/wsgiapp problems: missing, no module-level `application` (found by
# reading, not running), source that Python could not even tokenize.
. "$(dirname "$0")/lib/common.sh"

cd "$FIXTURES/missing-wsgiapp" || exit 1
run check
expect_rc 4
expect_out </dev/null
expect_err <<'OUT'
bin/wsgiapp: error: required file is missing
  note: bin/wsgiapp is the Python module that defines the WSGI callable 'application'
OUT

# `application` only inside a function does not count
cd "$FIXTURES/no-application" || exit 1
run check
expect_rc 4
expect_err <<'OUT'
bin/wsgiapp: error: no module-level 'application' is defined
  note: define the WSGI callable at the top level, e.g. 'application = create_app()' or 'from myapp import app as application'
OUT

cd "$FIXTURES/star-import" || exit 1
run check
expect_rc 4
expect_err <<'OUT'
bin/wsgiapp: error: no module-level 'application' is defined
  note: 'from ... import *' at line 2 may define it, but that cannot be known without running the app: import 'application' by name
OUT

cd "$FIXTURES/unterminated" || exit 1
run check
expect_rc 3
expect_err <<'OUT'
bin/wsgiapp:3:1: error: unterminated triple-quoted string literal
OUT

# never run: a wsgiapp that would print or fail on import is still fine
mkdir -p "$T/app/bin"
: >"$T/app/dependencies.txt"
printf 'import sys\nprint("ran!")\nsys.exit(3)\napplication = None\n' >"$T/app/bin/wsgiapp"
run check "$T/app"
expect_rc 0
if grep -q 'ran!' "$T/out" "$T/err"; then fail "bin/wsgiapp was run"; fi

# unreadable: an I/O error (root reads everything, so use a directory)
rm "$T/app/bin/wsgiapp"
mkdir "$T/app/bin/wsgiapp"
run check "$T/app"
expect_rc 5
expect_err <<OUT
$T/app/bin/wsgiapp: error: not a regular file
OUT
