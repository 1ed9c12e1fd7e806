#!/bin/sh
# Rendering for supervisord (issue #8): the real supervisord 4 (Debian
# `supervisor`) runs the rendered supervisord.conf; every instance gets the
# awkward arguments and environment values back exactly, and a shutdown
# leaves nothing behind.
. "$(dirname "$0")/../supervisor/render_lib.sh"
command -v supervisord >/dev/null || fail "supervisord is not installed (Debian package supervisor)"

write_fixture
"$DRV" supervisord "$T/supervisor.yaml" demo "$T" "$T/out" || fail "render failed"
CONF=$T/out/supervisord.conf
mkdir -p "$T/run/logs"

sd_pid() { cat "$T/run/supervisord.pid" 2>/dev/null; }
CLEANUP_HOOK='p=$(sd_pid); [ -n "$p" ] && kill -9 "$p" 2>/dev/null'
supervisord -c "$CONF" || fail "supervisord did not start: $(cat "$T/run/supervisord.log")"

ctl() { timeout 10 supervisorctl -c "$CONF" "$@"; }
running() { [ "$(ctl status | grep -c ' RUNNING ')" = 3 ]; }
wait_for 15 running
ctl status >"$T/status"
for p in 'web:web_0' 'web:web_1' 'worker:worker_0'; do
	grep -q "^$p *RUNNING " "$T/status" || fail "$p not running: $(cat "$T/status")"
done
check_dumps web.0 web.1 worker.0

pid=$(sd_pid)
ctl shutdown >/dev/null || fail "shutdown failed"
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_for 10 gone
[ -z "$(strays)" ] || fail "processes left after shutdown: $(strays)"
exit 0
