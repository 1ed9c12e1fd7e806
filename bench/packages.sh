#!/bin/sh
# bench/packages.sh - `appbuild deb` of each example app (warm cache, file://
# index, fresh lock) against
#   floor          dpkg-deb --build of the same prepared trees (the .debs
#                  appbuild wrote, unpacked with dpkg-deb -R), one process per
#                  package (xargs -P nproc), the same compressor and level
#                  (gzip -9 below 1 MiB of files, gzip -6 above: pkg_deb.h)
#   dh-virtualenv  the same pins in one package (issue #9's invocation:
#                  --builtin-venv --python /usr/bin/python3, --no-index
#                  --find-links ../shared/pyindex/files), dpkg-buildpackage -b
# all three in one hyperfine invocation per app (medians of RUNS, default 3;
# dh-virtualenv takes tens of seconds a run), plus appbuild's peak RSS.
#
#   sh bench/packages.sh [APPBUILD]        (default build/appbuild)
# Needs hyperfine, dpkg-dev, debhelper and dh-virtualenv (make deps).
set -eu
for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset APPBUILD_FIND_LINKS APPBUILD_EXTRA_INDEX_URL APPBUILD_INDEX_URL APPBUILD_NO_INDEX
here=$(cd "$(dirname "$0")/.." && pwd)
appbuild=${1:-$here/build/appbuild}
shared=${SHARED:-$here/../shared}
runs=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$tmp/t
# /usr/bin/python3: the interpreter the packages are for, lock and deb alike
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SOURCE_DATE_EPOCH TMPDIR PATH
mkdir -p "$TMPDIR"
opts="--cache-dir $tmp/cache --index-url file://$shared/pyindex/simple"

for name in flask-hello pyramid-app; do
	app=$tmp/$name
	cp -r "$here/examples/$name" "$app"
	rm -rf "$app/dist" "$app/dependencies.lock"
	"$appbuild" lock "$app" $opts >/dev/null 2>&1
	"$appbuild" deb "$app" $opts -o "$tmp/warm-$name" >/dev/null 2>&1 # fills the cache

	# floor: the prepared trees, each built by its own dpkg-deb
	mkdir -p "$tmp/trees-$name" "$tmp/floor-$name"
	: >"$tmp/floor-$name.list"
	for f in "$tmp/warm-$name"/*.deb; do
		n=$(basename "$f" .deb)
		dpkg-deb -R "$f" "$tmp/trees-$name/$n"
		size=$(find "$tmp/trees-$name/$n" -path '*/DEBIAN' -prune -o -type f -printf '%s\n' |
			awk '{ s += $1 } END { print s + 0 }')
		level=9
		[ "$size" -lt 1048576 ] || level=6
		echo "$n $level" >>"$tmp/floor-$name.list"
	done
	cat >"$tmp/floor-$name.sh" <<EOF
xargs -P "\$(nproc)" -L 1 sh -c 'dpkg-deb --root-owner-group -Zgzip -z"\$1" --build \\
	"$tmp/trees-$name/\$0" "$tmp/floor-$name/\$0.deb" >/dev/null' <"$tmp/floor-$name.list"
EOF

	# dh-virtualenv: the lock's pins as requirements.txt, one package
	src=$tmp/dhv-$name/$name-dhv
	mkdir -p "$src/debian"
	sed -n 's/^\([A-Za-z0-9_.-]*==[^ ]*\).*/\1/p' "$app/dependencies.lock" >"$src/requirements.txt"
	cat >"$src/debian/control" <<EOF
Source: $name-dhv
Section: python
Priority: optional
Maintainer: appbuild bench <bench@example.org>
Build-Depends: debhelper-compat (= 13), dh-virtualenv
Standards-Version: 4.6.2

Package: $name-dhv
Architecture: any
Depends: \${misc:Depends}, \${shlibs:Depends}
Description: $name built by dh-virtualenv (benchmark peer)
 The same pins as appbuild deb builds, in one package.
EOF
	printf '%s (1.0-1) unstable; urgency=medium\n\n  * Benchmark peer.\n\n -- appbuild bench <bench@example.org>  Tue, 14 Nov 2023 22:13:20 +0000\n' \
		"$name-dhv" >"$src/debian/changelog"
	printf '#!/usr/bin/make -f\n%%:\n\tdh $@ --with python-virtualenv\n\noverride_dh_virtualenv:\n\tdh_virtualenv --builtin-venv --python /usr/bin/python3 --skip-install --extra-pip-arg --no-index --extra-pip-arg --find-links=%s/pyindex/files\n' \
		"$shared" >"$src/debian/rules"
	chmod +x "$src/debian/rules"

	hyperfine -N -w 0 -r "$runs" --export-json "$tmp/h-$name.json" \
		-n appbuild "$appbuild deb $app $opts -o $tmp/out-$name" \
		-n floor "sh $tmp/floor-$name.sh" \
		-n dh-virtualenv "sh -c 'cd $src && dpkg-buildpackage -b -us -uc -d >/dev/null 2>&1'" \
		>/dev/null
	/usr/bin/time -v -o "$tmp/time-$name" "$appbuild" deb "$app" $opts -o "$tmp/out-$name" \
		>/dev/null 2>&1
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time-$name")
	npk=$(ls "$tmp/warm-$name" | wc -l)
	bytes=$(cat "$tmp/warm-$name"/*.deb | wc -c)
	dbytes=$(cat "$tmp/dhv-$name"/*.deb | wc -c)
	python3 - "$tmp/h-$name.json" "$rss" "$runs" "$name" "$npk" "$bytes" "$dbytes" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, f, d = (r[k]["median"] for k in ("appbuild", "floor", "dh-virtualenv"))
cpu = {k: r[k]["user"] + r[k]["system"] for k in r}
print(f"{sys.argv[4]}: {sys.argv[5]} packages, {int(sys.argv[6]) // 1024} KiB "
      f"(dh-virtualenv: 1 package, {int(sys.argv[7]) // 1024} KiB); medians of {sys.argv[3]} runs")
print(f"  appbuild deb:                 {a:.3f} s (peak RSS {sys.argv[2]} KiB, goal <= 65536)")
print(f"  floor (dpkg-deb, parallel):   {f:.3f} s")
print(f"  dh-virtualenv:                {d:.3f} s")
print(f"  dh-virtualenv / appbuild:     {d / a:.1f}x (goal >= 20x)")
print(f"  appbuild / floor:             {a / f:.2f}x (goal <= 1.5x)")
print("  mean CPU (user+sys): " + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items()))
EOF
done
