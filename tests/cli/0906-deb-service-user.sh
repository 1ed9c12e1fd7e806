#!/bin/sh
# test: serial
# appbuild.yaml's `package: user:` (issue #9, "a system user for the
# service"): the app's .deb creates that system user and its group when
# missing (postinst, adduser --system; Depends on adduser), its systemd
# units run as them (User=, Group=), no other package changes, lintian
# reports no error; installed for real with dpkg -i, the user exists, can
# run the environment's Python, and purging the set leaves the user (never
# removed, as Debian's policy says; the test deletes it). Without the key
# the app package has no user scriptlet. The app is renamed (hello-user)
# so it never meets 0903's flask-hello in dpkg's database.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/debrepo.sh"
need_shared
need_root_apt
command -v lintian >/dev/null || { echo "$0: lintian is not installed" >&2; exit 1; }
IDX="file://$SHARED/pyindex/simple"
C="--cache-dir $T/cache --index-url $IDX"
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$T/tmp
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$T/tmp"
U=hello-svc
PREFIX=/opt/hello-user
[ -e "$PREFIX" ] && fail "$PREFIX exists already: not touching it"
getent passwd $U >/dev/null && fail "user $U exists already: not touching it"
getent group $U >/dev/null && fail "group $U exists already: not touching it"
PKGS=
cleanup() {
	# shellcheck disable=SC2086
	purge_all $PKGS
	getent passwd $U >/dev/null && userdel $U
	getent group $U >/dev/null && groupdel $U
	rm -rf "$T"
}
trap cleanup EXIT

A=$T/hello-user
cp -r "$TOP/examples/flask-hello" "$A"
rm -rf "$A/dist" "$A/dependencies.lock"
sed -i 's/^name: flask-hello$/name: hello-user/' "$A/appbuild.yaml"
cp "$A/appbuild.yaml" "$T/no-user.yaml"
printf '  user: %s\n' $U >>"$A/appbuild.yaml"
grep -q '^name: hello-user$' "$A/appbuild.yaml" || fail "rename failed"

run deb "$A" $C
expect_rc 0
D=$A/dist
APP=$(cd "$D" && echo hello-user_1-1_*.deb)
[ -f "$D/$APP" ] || fail "no hello-user_1-1_*.deb: $(ls "$D")"
PKGS=$(sed 's|.*/||; s|_.*||' "$T/out")

dep=$(dpkg-deb -f "$D/$APP" Depends)
case ", $dep, " in *", adduser, "*) ;; *) fail "app Depends lacks adduser: $dep" ;; esac
mkdir "$T/ctl"
dpkg-deb -e "$D/$APP" "$T/ctl"
grep -qxF "if [ \"\$1\" = configure ] && ! getent passwd $U >/dev/null; then" "$T/ctl/postinst" ||
	fail "postinst does not check for the user: $(cat "$T/ctl/postinst")"
grep -qxF "		adduser --quiet --system --group --no-create-home --home /nonexistent $U" \
	"$T/ctl/postinst" || fail "postinst does not create the user: $(cat "$T/ctl/postinst")"
grep -q 'systemctl --system daemon-reload' "$T/ctl/postinst" || fail "postinst lost daemon-reload"
[ "$(head -1 "$T/ctl/postinst")" = "#!/bin/sh" ] || fail "postinst: bad first line"
[ "$(grep -c '^#!' "$T/ctl/postinst")" = 1 ] || fail "postinst: two #! lines"
sh -n "$T/ctl/postinst" || fail "postinst is not valid sh"
grep -q 'deluser\|userdel' "$T/ctl/postrm" && fail "postrm removes the user"
mkdir "$T/data"
dpkg-deb -x "$D/$APP" "$T/data"
unit=$T/data/lib/systemd/system/hello-user-web.service
[ -f "$unit" ] || fail "no unit: $(find "$T/data/lib" -type f)"
grep -qx "User=$U" "$unit" || fail "unit lacks User=$U: $(cat "$unit")"
grep -qx "Group=$U" "$unit" || fail "unit lacks Group=$U: $(cat "$unit")"
# the built-in supervisor's configuration is the bundle's: no user there
grep -q "$U" "$T/data$PREFIX/etc/supervisor.yaml" && fail "supervisor.yaml names the user"
# only the app package changes
for f in "$D"/*.deb; do
	[ "$f" = "$D/$APP" ] && continue
	case "$(dpkg-deb -f "$f" Depends)" in *adduser*) fail "$(basename "$f") depends on adduser" ;; esac
	dpkg-deb -I "$f" postinst 2>/dev/null | grep -q adduser && fail "$(basename "$f") adds a user"
done

# lintian (app package only: the others are 0902's): no error, no tag
# about the user's scriptlet
lintian --no-cfg --allow-root --no-tag-display-limit "$D/$APP" >"$T/lint" 2>&1
grep '^E: ' "$T/lint" && fail "lintian errors (above)"
grep -i 'adduser\|maintainer-script\|postinst' "$T/lint" && fail "lintian on the scriptlet (above)"

# without the key: no user, no adduser, units as before
cp "$T/no-user.yaml" "$A/appbuild.yaml"
run deb "$A" $C -o "$T/plain"
expect_rc 0
dpkg-deb -e "$T/plain/$APP" "$T/ctl2"
grep -q 'adduser\|getent' "$T/ctl2/postinst" && fail "user scriptlet without the key"
case "$(dpkg-deb -f "$T/plain/$APP" Depends)" in *adduser*) fail "adduser without the key" ;; esac
dpkg-deb --fsys-tarfile "$T/plain/$APP" |
	tar -xOf - ./lib/systemd/system/hello-user-web.service | grep -q '^User=\|^Group=' &&
	fail "User= or Group= without the key"

# installed for real: the user appears, with no home and no login
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive dpkg --force-unsafe-io -i "$D"/*.deb >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i: $(cat "$T/dpkg.log")"
pw=$(getent passwd $U) || fail "no user $U after install: $(cat "$T/dpkg.log")"
getent group $U >/dev/null || fail "no group $U after install"
[ "$(id -gn $U)" = $U ] || fail "primary group of $U is $(id -gn $U)"
uid=$(id -u $U)
[ "$uid" -lt 1000 ] || fail "$U is not a system user (uid $uid)"
case "$pw" in *:/nonexistent:/usr/sbin/nologin) ;; *) fail "passwd entry: $pw" ;; esac
[ ! -e /nonexistent ] || fail "/nonexistent was created"
out=$(runuser -u $U -- "$PREFIX/bin/python" -c 'import flask, os; print(os.getuid())' 2>&1) ||
	fail "the user cannot run the app's Python: $out"
[ "$out" = "$uid" ] || fail "ran as $out, not $uid"
# reinstalling (configure again) keeps the same user
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive dpkg --force-unsafe-io -i "$D/$APP" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i again: $(cat "$T/dpkg.log")"
[ "$(id -u $U)" = "$uid" ] || fail "the user changed on reinstall"
# a group of that name exists already, the user does not: it joins it
userdel $U
getent group $U >/dev/null || groupadd -r $U
gid=$(getent group $U | cut -d: -f3)
DEBIAN_FRONTEND=noninteractive dpkg --force-unsafe-io -i "$D/$APP" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i with the group only: $(cat "$T/dpkg.log")"
[ "$(id -g $U 2>/dev/null)" = "$gid" ] || fail "user not created in the existing group $gid"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive dpkg --force-unsafe-io --purge $PKGS >"$T/dpkg.log" 2>&1 ||
	fail "dpkg --purge: $(cat "$T/dpkg.log")"
[ ! -e "$PREFIX" ] || fail "left behind: $(find "$PREFIX" | head -20)"
getent passwd $U >/dev/null || fail "purge removed the user"
exit 0
