#!/bin/sh
# test: serial
# appbuild deb --repo, installed for real (issue #9): apt, from a `file:`
# source and nothing else, pulls in exactly the pinned set when asked for
# the app; the app starts by its systemd unit's ExecStart (run here without
# systemd, with the unit's WorkingDirectory and Environment) and serves a
# request; `apt-get purge` then leaves nothing under /opt/flask-hello.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/debrepo.sh"
need_shared
need_root_apt
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
# the interpreter the packages name (/usr/bin/python3), for lock and deb alike
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp"
PREFIX=/opt/flask-hello
[ -e "$PREFIX" ] && fail "$PREFIX exists already: not touching it"
PKGS=
APP_PID=
cleanup() {
	[ -n "$APP_PID" ] && kill -TERM "-$APP_PID" 2>/dev/null
	[ -n "$APP_PID" ] && sleep 0.5 && kill -KILL "-$APP_PID" 2>/dev/null
	# shellcheck disable=SC2086
	purge_all $PKGS
	rm -rf "$T"
}
trap cleanup EXIT

cp -r "$TOP/examples/flask-hello" "$T/"
rm -rf "$T/flask-hello/dist" "$T/flask-hello/dependencies.lock"
run lock "$T/flask-hello" $C
expect_rc 0
run deb "$T/flask-hello" $C --repo "$T/repo"
expect_rc 0
PKGS=$(sed 's|.*/||; s|_.*||' "$T/out")
for f in Packages Packages.gz Release; do
	[ -f "$T/repo/$f" ] || fail "no $f in the repository"
done
# the pinned set: the environment, one package per lock entry, the app
want=$( (echo flask-hello; echo flask-hello-python3
	sed -n 's/^\([a-z0-9-]*\)==.*/flask-hello-python3-\1/p' "$T/flask-hello/dependencies.lock") | sort)
[ "$(echo "$PKGS" | sort)" = "$want" ] || fail "packages written: $PKGS; want: $want"

apt_setup "$T/repo"
apt_get update >"$T/apt.log" 2>&1 || fail "apt-get update: $(cat "$T/apt.log")"
apt_get install -s flask-hello >"$T/sim" 2>&1 || fail "apt-get -s install: $(cat "$T/sim")"
got=$(sed -n 's/^Inst \([^ ]*\) .*/\1/p' "$T/sim" | sort)
[ "$got" = "$want" ] || fail "apt would install: $got; want: $want"
apt_get install -y --no-install-recommends flask-hello >"$T/apt.log" 2>&1 ||
	fail "apt-get install: $(cat "$T/apt.log")"
for p in $PKGS; do
	dpkg-query -W -f '${db:Status-Status}\n' "$p" | grep -qx installed || fail "$p not installed"
done

# ExecStart of the unit, run as systemd would (its escapes undone)
U=/lib/systemd/system/flask-hello-web.service
[ -f "$U" ] || fail "no $U"
exec_start=$(sed -n 's/^ExecStart=//p' "$U" | sed 's/\$\$/$/g; s/%%/%/g')
wd=$(sed -n 's/^WorkingDirectory=//p' "$U")
[ "$wd" = "$PREFIX/app" ] || fail "WorkingDirectory=$wd"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BIND=127.0.0.1:$PORT
sed -n 's/^Environment="\(.*\)"$/\1/p' "$U" | grep -v '^BIND=' >"$T/env"
echo "BIND=$BIND" >>"$T/env"
(
	cd "$wd" || exit 1
	# shellcheck disable=SC2046
	eval "set -- $exec_start"
	exec setsid env -i $(cat "$T/env") "$@"
) >"$T/app.log" 2>&1 &
APP_PID=$!
ok=
for _ in $(seq 1 100); do
	if python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
		"http://$BIND/" >"$T/body" 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.2
done
[ -n "$ok" ] || fail "no HTTP answer on $BIND: $(cat "$T/app.log")"
[ -s "$T/body" ] || fail "empty body"
kill -TERM "-$APP_PID" 2>/dev/null
wait "$APP_PID" 2>/dev/null
APP_PID=

# purge: nothing left behind (byte-code written at run time included)
# shellcheck disable=SC2086
apt_get purge -y $PKGS >"$T/apt.log" 2>&1 || fail "apt-get purge: $(cat "$T/apt.log")"
[ ! -e "$PREFIX" ] || fail "left behind: $(find "$PREFIX" | head -20)"
[ ! -e "$U" ] || fail "$U left behind"
for p in $PKGS; do
	dpkg-query -W -f '${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed &&
		fail "$p still installed"
done
exit 0
