# render_lib.sh - helpers for tests/cli/08*-render-*.sh (issue #8): source it.
#
#   DRV        build/san/svcrender-drv (renders a supervisor.yaml)
#   T          a fresh temp directory, removed (and its processes killed) on exit
#   write_fixture   $T/supervisor.yaml with awkward arguments and environment
#                   values, and $T/app/dump.py, which records its argv, cwd and
#                   environment in $T/dump/NAME.N.json and then sleeps
#   check_dumps NAME.N...   each dump holds exactly what the fixture says
#   fail MSG   print and exit 1
set -u
: "${APPBUILD:?APPBUILD is not set: run the end-to-end tests through make check}"
DRV=$(dirname "$APPBUILD")/svcrender-drv
[ -x "$DRV" ] || { echo "$DRV is missing: make build/san/svcrender-drv" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T=$(mktemp -d /tmp/svrtest.XXXXXX)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export ASAN_OPTIONS

# Processes started from $T: found through /proc by their command line.
strays() {
	for f in /proc/[0-9]*/cmdline; do
		{ tr "\0" " " <"$f"; } 2>/dev/null | grep -q "$T/" && { d=${f%/cmdline}; echo "${d#/proc/}"; }
	done
	return 0
}

render_cleanup() {
	[ -n "${CLEANUP_HOOK:-}" ] && eval "$CLEANUP_HOOK"
	for p in $(strays); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap render_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

write_fixture() {
	mkdir -p "$T/app" "$T/dump" "$T/out"
	cat >"$T/app/dump.py" <<'P'
import json, os, sys, time
name = os.environ.get("SUPERVISOR_PROCESS", "?")
inst = os.environ.get("SUPERVISOR_INSTANCE", "?")
keys = ["GREETING", "PCT", "DOLLAR", "BS", "MIXED", "SEMI", "SUPERVISOR_PROCESS"]
out = {"argv": sys.argv[1:], "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in keys}}
tmp = os.path.join(sys.argv[0] and os.path.dirname(os.path.abspath(sys.argv[0])), "..", "dump",
                   "%s.%s.json" % (name, inst))
with open(tmp + ".tmp", "w") as f:
    json.dump(out, f)
os.rename(tmp + ".tmp", tmp)
while True:
    time.sleep(3600)
P
	cat >"$T/supervisor.yaml" <<Y
processes:
  web:
    command: [$PY, dump.py, -b, "a b", "it's", 'say "hi"', "\$HOME", "50%", 'back\\slash',
              "x ;y", "#z", "", "a\\u00a0;b", "é;x", "%(here)s"]
    instances: 2
    environment: {GREETING: "hello world", PCT: "100%", DOLLAR: "a\$b", BS: 'c:\\dir',
                  MIXED: "it's", SEMI: "a;b"}
    directory: app
    stop_signal: INT
    stop_timeout: 2
  worker: {command: "$PY dump.py w", restart: never, directory: app}
Y
}

# check_dumps NAME.N...: the dumps exist and hold the fixture's values
check_dumps() {
	"$PY" - "$T" "$@" <<'P' || fail "dumps differ"
import json, os, sys
t = sys.argv[1]
web_argv = ["-b", "a b", "it's", 'say "hi"', "$HOME", "50%", "back\\slash", "x ;y", "#z", "",
            "a\u00a0;b", "\u00e9;x", "%(here)s"]
env = {"GREETING": "hello world", "PCT": "100%", "DOLLAR": "a$b", "BS": "c:\\dir",
       "MIXED": "it's", "SEMI": "a;b"}
bad = 0
for ni in sys.argv[2:]:
    name, inst = ni.split(".")
    path = os.path.join(t, "dump", ni + ".json")
    if not os.path.exists(path):
        print("missing dump", ni); bad += 1; continue
    d = json.load(open(path))
    want = {"argv": web_argv if name == "web" else ["w"], "cwd": os.path.join(t, "app"),
            "env": dict(env if name == "web" else {k: None for k in env},
                        SUPERVISOR_PROCESS=name)}
    if d != want:
        print(ni, "got ", json.dumps(d, ensure_ascii=False))
        print(ni, "want", json.dumps(want, ensure_ascii=False)); bad += 1
sys.exit(1 if bad else 0)
P
}

# wait_for SECS CMD...: eval CMD every 100 ms until it succeeds, else fail
wait_for() {
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		eval "$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	fail "timed out waiting for: $*"
}
