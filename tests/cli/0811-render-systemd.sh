#!/bin/sh
# Rendering for systemd (issue #8): one unit per process (a template unit
# NAME@.service for several instances) and APP.target; `systemd-analyze
# verify` accepts them without a warning (it reports bad quoting, unknown
# keys, relative paths and missing executables).
. "$(dirname "$0")/../supervisor/render_lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian package systemd)"

write_fixture
"$DRV" systemd "$T/supervisor.yaml" demo "$T" "$T/out" "" www-data || fail "render failed"
[ "$(cd "$T/out" && echo *)" = "demo-web@.service demo-worker.service demo.target" ] ||
	fail "unexpected files: $(ls "$T/out")"
(cd "$T/out" && timeout 60 systemd-analyze verify demo-web@.service demo-worker.service \
	demo.target) >"$T/verify" 2>&1 || fail "systemd-analyze verify failed: $(cat "$T/verify")"
[ ! -s "$T/verify" ] || fail "systemd-analyze verify warned: $(cat "$T/verify")"

grep -qx 'Wants=demo-web@0.service demo-web@1.service' "$T/out/demo.target" || fail "target"
grep -qx 'After=demo-web@0.service demo-web@1.service' "$T/out/demo-worker.service" ||
	fail "worker not ordered after web"
for l in 'Restart=no' 'KillMode=control-group' 'KillSignal=SIGTERM' 'User=www-data'; do
	grep -qx "$l" "$T/out/demo-worker.service" || fail "worker lacks $l"
done

# A command systemd cannot take is refused, and nothing is written.
rm -f "$T/out/"*
printf 'processes:\n  web: {command: ["-x", "y"]}\n' >"$T/bad.yaml"
"$DRV" systemd "$T/bad.yaml" demo "$T" "$T/out" 2>"$T/err" && fail "prefix character accepted"
[ "$(cat "$T/err")" = "error: cannot render process 'web' for systemd: command starts with a systemd prefix character" ] ||
	fail "message: $(cat "$T/err")"
[ -z "$(ls "$T/out")" ] || fail "files written on error"
exit 0
