# debrepo.sh - apt against a scratch configuration, for the tests that
# install `appbuild deb` packages for real (source after common.sh).
#
#   apt_setup REPO       apt knows only `deb [trusted=yes] file:REPO ./`; its
#                        lists and caches live under $T/apt, never the host's
#   apt_get ARGS...      apt-get with that configuration, non-interactive,
#                        waiting up to 5 minutes for the dpkg lock
#   purge_all PKG...     purges those that are installed (for traps: never fails)
#
# Packages are installed into the host's real dpkg database: tests must
# purge what they install, on failure too (trap).

need_root_apt() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || ! command -v apt-ftparchive >/dev/null; then
		echo "$0: needs root, apt-get and apt-ftparchive (apt-utils)" >&2
		exit 1
	fi
}

apt_setup() {
	mkdir -p "$T/apt/lists/partial" "$T/apt/cache/archives/partial"
	echo "deb [trusted=yes] file:$1 ./" >"$T/apt/sources.list"
	APT_OPTS="-o Dir::Etc::sourcelist=$T/apt/sources.list -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists=$T/apt/lists -o Dir::Cache=$T/apt/cache
		-o Dir::Cache::archives=$T/apt/cache/archives -o APT::Get::List-Cleanup=0
		-o DPkg::Lock::Timeout=300 -o APT::Sandbox::User=root -o Acquire::Languages=none
		-o Dpkg::Use-Pty=0 -o DPkg::Options::=--force-unsafe-io"
}

apt_get() {
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get -q $APT_OPTS "$@"
}

purge_all() {
	inst=
	for p in "$@"; do
		dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -q -v '^not-installed$' &&
			inst="$inst $p"
	done
	# shellcheck disable=SC2086
	[ -z "$inst" ] || DEBIAN_FRONTEND=noninteractive dpkg --force-unsafe-io --purge $inst >/dev/null 2>&1 || :
}
