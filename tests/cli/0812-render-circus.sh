#!/bin/sh
# Rendering for circus (issue #8). circus is not packaged in Debian bookworm,
# so circus.ini is read the way circus reads it (circus/config.py, util.py):
# configparser with %-interpolation, `;` or `#` after whitespace ending a value
# (stricter than circus, which only cuts at `;`), cmd and args through
# shlex.split, [env:x] values stripped; the result must be the fixture exactly.
. "$(dirname "$0")/../supervisor/render_lib.sh"

write_fixture
"$DRV" circus "$T/supervisor.yaml" demo "$T" "$T/out" || fail "render failed"
"$PY" - "$T" "$PY" <<'P' || fail "circus.ini does not read back as the fixture"
import configparser, re, shlex, sys
t, py = sys.argv[1], sys.argv[2]
text = open(t + "/out/circus.ini", encoding="utf-8").read()
for n, line in enumerate(text.splitlines(), 1):
    for i, ch in enumerate(line):
        if ch in ";#" and i > 0 and line[i - 1].isspace():
            sys.exit("line %d: inline comment: %r" % (n, line))
    if re.search(r"\$\(circus\.|\(\(circus\.", line, re.I):
        sys.exit("line %d: circus variable" % n)
cfg = configparser.ConfigParser()
cfg.optionxform = str
cfg.read_string(text)
w = cfg["watcher:web"]
argv = shlex.split(w["cmd"]) + shlex.split(w["args"])
want = [py, "dump.py", "-b", "a b", "it's", 'say "hi"', "$HOME", "50%", "back\\slash", "x ;y",
        "#z", "", "a\u00a0;b", "\u00e9;x", "%(here)s"]
assert argv == want, (argv, want)
assert w["numprocesses"] == "2" and w["stop_signal"] == "INT" and w["graceful_timeout"] == "2"
assert w["working_dir"] == t + "/app" and w["respawn"] == "true" and w["copy_env"] == "true"
assert int(w["priority"]) > int(cfg["watcher:worker"]["priority"])
assert cfg["watcher:worker"]["respawn"] == "false"
env = {k: v.strip() for k, v in cfg["env:web"].items()}
for v in env.values():
    assert not re.search(r"\$[A-Z]", v), v
assert env == {"SUPERVISOR_PROCESS": "web", "GREETING": "hello world", "PCT": "100%",
               "DOLLAR": "a$b", "BS": "c:\\dir", "MIXED": "it's", "SEMI": "a;b"}, env
assert cfg["circus"]["endpoint"] == "ipc://" + t + "/run/circus.sock"
P

# What circus would change is refused with a message, and nothing is written.
rm -f "$T/out/"*
printf 'processes:\n  web: {command: x, environment: {P: "$HOME/bin"}}\n' >"$T/bad.yaml"
"$DRV" circus "$T/bad.yaml" demo "$T" "$T/out" 2>"$T/err" && fail "\$HOME accepted"
[ "$(cat "$T/err")" = "error: cannot render process 'web' for circus: environment variable 'P' holds '\$' before a capital letter (circus expands it)" ] ||
	fail "message: $(cat "$T/err")"
[ -z "$(ls "$T/out")" ] || fail "files written on error"
exit 0
