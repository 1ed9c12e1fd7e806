#!/bin/sh
# appbuild index versions/metadata over HTTP (tests/server/server.py serving
# ../shared/pyindex): text and --json output, the one summary line on a
# non-terminal stderr, -v request logs (revalidation, cache hits), --offline
# misses and hits, and errors that name the (redacted) URL, with exit codes.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/server/start.sh"
need_shared
start_server "$SHARED/pyindex"
IX=$BASE/simple/
C=$T/cache
summary='^fetched [0-9][0-9]* files\{0,1\}, [0-9.]* [kMG]\{0,1\}B in [0-9.]* s$'
# the summary line's numbers vary (revalidations, timing): drop it
drop_summary() { sed -i "/$summary/d" "$T/err"; }

# --offline before anything is cached: names the missing page
run index versions six -i "$IX" --cache-dir "$C" --offline
expect_rc 6
expect_err <<EOF
appbuild: error: offline: '${IX}six/' is not in the cache
EOF

run index versions six -i "$IX" --cache-dir "$C"
expect_rc 0
expect_out <<EOF
six
  1.16.0       six-1.16.0-py3-none-any.whl  requires-python >=2.7, !=3.0.*, !=3.1.*, !=3.2.*
EOF
# not a terminal: exactly one summary line
[ "$(wc -l <"$T/err")" = 1 ] || fail "stderr is not one line: $(cat "$T/err")"
grep -q "$summary" "$T/err" || fail "no summary line: $(cat "$T/err")"

# -v: each request, and the 304 of the revalidated page
run -v index versions six -i "$IX" --cache-dir "$C"
expect_rc 0
grep -q "^GET ${IX}six/: 304, 0 bytes, [0-9]* ms, revalidated$" "$T/err" ||
	fail "no revalidation logged: $(cat "$T/err")"

# --json shape
run index versions six flask -i "$IX" --cache-dir "$C" --json
expect_rc 0
python3 - "$T/out" <<'EOF' || fail "versions --json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert [p["name"] for p in d] == ["six", "flask"], d
v = d[0]["versions"][0]
assert v["version"] == "1.16.0" and len(v["files"]) == 1, v
f = v["files"][0]
assert set(f) == {"filename", "url", "sha256", "requires_python", "yanked", "has_metadata",
                  "metadata_sha256"}, f
assert f["filename"] == "six-1.16.0-py3-none-any.whl" and f["yanked"] is False
assert f["url"].endswith("/files/six-1.16.0-py3-none-any.whl") and len(f["sha256"]) == 64
assert f["has_metadata"] is True and len(f["metadata_sha256"]) == 64
EOF

# metadata: the PEP 658 sidecar, as served
run index metadata six==1.16.0 flask==2.2.2 -i "$IX" --cache-dir "$C" --json
expect_rc 0
python3 - "$T/out" <<'EOF' || fail "metadata --json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(m["name"], m["version"]) for m in d] == [("six", "1.16.0"), ("flask", "2.2.2")], d
assert set(d[0]) == {"name", "version", "filename", "metadata"}, d[0]
assert d[0]["metadata"].startswith("Metadata-Version: ") and "\nName: six\n" in d[0]["metadata"]
EOF
run index metadata six==1.16.0 -i "$IX" --cache-dir "$C"
expect_rc 0
cmp -s "$T/out" "$SHARED/pyindex/files/six-1.16.0-py3-none-any.whl.metadata" ||
	fail "metadata differs from the sidecar"

# --offline now answers from the cache, and says so with -v
run -v index metadata six==1.16.0 -i "$IX" --cache-dir "$C" --offline
expect_rc 0
expect_out_has "Name: six"
grep -q "^cache ${IX}six/: hit (offline), [0-9]* bytes$" "$T/err" || fail "$(cat "$T/err")"
# but a page it never saw is still missing
run index metadata flask==2.2.2 jinja2==3.1.2 -i "$IX" --cache-dir "$C" --offline
expect_rc 6
expect_err <<EOF
appbuild: error: offline: '${IX}jinja2/' is not in the cache
EOF

# unknown project (404), unknown version
run index versions no-such-project -i "$IX" --cache-dir "$C"
expect_rc 7
grep -qxF "appbuild: error: no distributions found for 'no-such-project'" "$T/err" ||
	fail "$(cat "$T/err")"
run index metadata six==9.9 -i "$IX" --cache-dir "$C"
expect_rc 7
drop_summary
expect_err <<EOF
appbuild: error: no distribution of 'six' has version 9.9
EOF

# a host that does not resolve: the URL named, its password hidden, exit 6
run index versions six -i "http://user:secret@nonexistent.invalid/simple/" --no-cache
expect_rc 6
grep -q "^appbuild: error: cannot fetch 'http://user:\*\*\*\*@nonexistent.invalid/simple/six/': " \
	"$T/err" || fail "$(cat "$T/err")"
grep -q secret "$T/err" && fail "the password was printed"

# a server error that outlives the retries (5 retries, 200 ms doubling: 6 s)
# is exercised by tests/unit/http_test.c with short backoffs; here: Basic
# auth, with the password in the URL and never printed
run index versions six -i "$BASE/f/auth/simple/" --no-cache
expect_rc 6
expect_err <<EOF
appbuild: error: cannot fetch '$BASE/f/auth/simple/six/': HTTP 401
EOF
run index versions six -i "http://u:p@127.0.0.1:$PORT/f/auth/simple/" --no-cache
expect_rc 0
expect_out_has "six"

# on a terminal (script(1) gives it one): a status line drawn and erased
# with "\r\033[K", then the summary; stdout unharmed
if command -v script >/dev/null 2>&1; then
	script -qec "'$APPBUILD' index versions six flask -i '$IX' --no-cache" /dev/null \
		>"$T/tty" 2>&1 </dev/null || fail "under script: $(cat "$T/tty")"
	python3 - "$T/tty" <<'EOF' || fail "terminal output: $(cat -v "$T/tty")"
import re, sys
t = open(sys.argv[1], "rb").read().decode()
assert re.search(r"\r\x1b\[K[0-9]+/[0-9]+ files, [0-9.]+ [kMG]?B", t), "no status line"
# erased when the transfers end, before the command prints its results
assert "\r\x1b[Ksix\r\n  1.16.0 " in t, "the status line is not erased before the output"
assert t.endswith("\nfetched 2 files, " + t.rsplit("fetched 2 files, ", 1)[1]), "no summary"
EOF
fi

# -q: no summary line
run -q index versions six -i "$IX" --no-cache
expect_rc 0
expect_err </dev/null
exit 0
