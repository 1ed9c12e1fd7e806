#!/bin/sh
# demo.sh - what `make demo` shows: appbuild checking, locking and bundling a
# real Flask app.
# make builds build/appbuild first; this script builds nothing.
set -eu
cd "$(dirname "$0")/.."
APPBUILD=${APPBUILD:-build/appbuild}

echo "== appbuild check examples/flask-hello"
"$APPBUILD" check examples/flask-hello
echo
echo "== appbuild check --json examples/flask-hello (summary)"
"$APPBUILD" check --json examples/flask-hello >build/demo-flask-hello.json
if command -v python3 >/dev/null 2>&1; then
	python3 - build/demo-flask-hello.json <<'PY'
import json, sys
app = json.load(open(sys.argv[1]))
print(f"name:         {app['name']} {app['version']} (python {app['python']})")
for r in app["requirements"]:
    print(f"requirement:  {r['name']}{r['specifier']}  ({r['file']}:{r['line']})")
for e in app["external_dependencies"]:
    print(f"system dep:   {e['name']} {e['specifier']}".rstrip())
for p in app["processes"]:
    print(f"process:      {p['name']} x{p['count']}: {p['command']}")
w = app["wsgi"]
print(f"wsgi:         {w['file']}:{w['line']} ({w['kind']})")
PY
else
	cat build/demo-flask-hello.json
fi
echo "(full JSON in build/demo-flask-hello.json)"
echo
echo "== and a broken app: every problem, with file:line:col"
"$APPBUILD" check tests/fixtures/apps/many-problems 2>&1 || echo "(exit status $?)"
echo
SHARED=${SHARED:-../shared}
if [ -d "$SHARED/pyindex/simple" ]; then
	# the example's packages come from the shared static index, not PyPI;
	# the lock goes to build/ so the example directory stays clean
	index="file://$(cd "$SHARED/pyindex" && pwd)/simple"
	echo "== appbuild lock examples/flask-hello (against $index)"
	env -u PIP_FIND_LINKS -u PIP_INDEX_URL "$APPBUILD" lock examples/flask-hello \
		--index-url "$index" --cache-dir build/demo-cache -o build/demo-flask-hello.lock
	grep -v '^ *--hash' build/demo-flask-hello.lock | sed 's/ \\$//'
	echo "(with its hashes in build/demo-flask-hello.lock)"
else
	echo "appbuild demo: $SHARED/pyindex is missing: cannot show 'appbuild lock'" >&2
	exit 1
fi
echo
# the tarball goes to build/ too; SOURCE_DATE_EPOCH makes it reproducible
echo "== appbuild bundle examples/flask-hello"
env -u PIP_FIND_LINKS -u PIP_INDEX_URL SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} \
	"$APPBUILD" bundle examples/flask-hello --index-url "$index" --cache-dir build/demo-cache \
	-o build/demo-flask-hello-1.0.0.tar.gz >build/demo-bundle.out
tarball=$(tail -n 1 build/demo-bundle.out)
tar tzf build/demo-flask-hello-1.0.0.tar.gz | grep -E '^[^/]+/([^/]+/?|bin/[^/]+|etc/[^/]+)$' | sort
echo "tarball: ${tarball% sha256:*}"
echo "sha256:  ${tarball##* sha256:}"
echo
# and run it: unpacked somewhere else, started by its launcher, one request
echo "== unpack, bin/launch start, one request, bin/launch stop"
run=build/demo-run
rm -rf "$run" && mkdir -p "$run"
tar xzf build/demo-flask-hello-1.0.0.tar.gz -C "$run"
root="$run/flask-hello-1.0.0"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BIND=127.0.0.1:$port "$root/bin/launch" start
trap '"$root/bin/launch" stop >/dev/null 2>&1 || true' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/?name=demo"
for _ in range(100):
    try:
        print("GET", url, "->", urllib.request.urlopen(url, timeout=2).read().decode().strip())
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("appbuild demo: the bundled app did not answer")
PY
"$root/bin/launch" status
"$root/bin/launch" stop
trap - EXIT
