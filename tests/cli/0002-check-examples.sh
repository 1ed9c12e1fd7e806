#!/bin/sh
# The example apps pass, with a summary, nothing on stderr, exit 0; -q is silent.
. "$(dirname "$0")/lib/common.sh"
cd "$TOP" || exit 1

run check examples/flask-hello
expect_rc 0
expect_err </dev/null
expect_out <<'OUT'
flask-hello 1.0.0: ok
  requirements:  2 requirements, 0 constraints (examples/flask-hello/dependencies.txt)
  external:      2 packages (examples/flask-hello/external-dependencies.txt)
  wsgi:          examples/flask-hello/bin/wsgiapp:15 defines 'application' (assignment)
  processes:     web (builtin)
OUT

run check examples/pyramid-app/
expect_rc 0
expect_err </dev/null
expect_out_has "pyramid-app 0.3.0: ok"
expect_out_has "  wsgi:          examples/pyramid-app/bin/wsgiapp:14 defines 'application' (assignment)"

run -q check examples/pyramid-app
expect_rc 0
expect_out </dev/null
expect_err </dev/null

# from inside the directory, paths are relative to it
cd examples/flask-hello || exit 1
run check
expect_rc 0
expect_out_has "  requirements:  2 requirements, 0 constraints (dependencies.txt)"
