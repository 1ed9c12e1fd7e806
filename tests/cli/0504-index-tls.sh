#!/bin/sh
# appbuild index over HTTPS: a throwaway CA made with the openssl CLI signs
# the test server's certificate; --cert CA.pem trusts it, and without it the
# error names the certificate problem, the (redacted) URL and --cert.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
need_shared
command -v openssl >/dev/null || { echo "openssl is missing (apt package openssl)" >&2; exit 1; }
make_ca "$T/ca" || { echo "cannot make a test CA with openssl" >&2; exit 1; }
start_server "$SHARED/pyindex" --tls "$T/ca/server.pem" "$T/ca/server.key"

# trusted through --cert
run index versions six -i "$BASE/simple/" --cache-dir "$T/c" --cert "$T/ca/ca.pem"
expect_rc 0
expect_out_has "six"

# and through APPBUILD_CERT, as pip's PIP_CERT
APPBUILD_CERT=$T/ca/ca.pem run index metadata six==1.16.0 -i "$BASE/simple/" --no-cache
expect_rc 0
expect_out_has "Name: six"

# not trusted: no retries, a clear error, the password never printed
run index versions six -i "https://u:secret@127.0.0.1:$PORT/simple/" --no-cache
expect_rc 6
grep -q "^appbuild: error: cannot fetch 'https://u:\*\*\*\*@127.0.0.1:$PORT/simple/six/': SSL certificate problem: " "$T/err" ||
	fail "no certificate error naming the URL: $(cat "$T/err")"
grep -qxF "  note: the server's certificate is not trusted: give its CA bundle with --cert FILE" "$T/err" ||
	fail "no note about --cert: $(cat "$T/err")"
grep -q secret "$T/err" && fail "the password was printed"
grep -q attempts "$T/err" && fail "a certificate error was retried"

# a CA bundle that does not exist
run index versions six -i "$BASE/simple/" --no-cache --cert "$T/missing.pem"
expect_rc 6
grep -q "^appbuild: error: cannot fetch '$BASE/simple/six/': " "$T/err" || fail "$(cat "$T/err")"
grep -qxF "  note: cannot use the CA bundle '$T/missing.pem'" "$T/err" || fail "$(cat "$T/err")"
exit 0
