#!/bin/sh
# bench/packages.sh - `appbuild deb` and `appbuild rpm` of each example app
# (warm cache, file:// index, fresh lock) against
#   floor          dpkg-deb --build of the same prepared trees (the .debs
#                  appbuild wrote, unpacked with dpkg-deb -R), one process per
#                  package (xargs -P nproc), the same compressor and level
#                  (gzip -9 below 1 MiB of files, gzip -6 above: pkg_deb.h)
#   rpm floor      rpmbuild -bb --noclean of the same prepared trees (the RPMs
#                  appbuild wrote, unpacked with rpm2cpio | cpio), one process
#                  per package (xargs -P nproc), each with a spec as
#                  builder/rpmbuild.c writes it: the tree is the buildroot,
#                  %install empty and not preceded by rm, no brp-* scripts,
#                  no dependency generators, no debuginfo, the same payload
#                  (zstd level 3), %files every path of the RPM
#   dh-virtualenv  the same pins in one package (issue #9's invocation:
#                  --builtin-venv --python /usr/bin/python3, --no-index
#                  --find-links ../shared/pyindex/files), dpkg-buildpackage -b
# all five in one hyperfine invocation per app (medians of RUNS, default 3;
# dh-virtualenv takes tens of seconds a run), plus appbuild's peak RSS per
# format (/usr/bin/time: the largest of appbuild and the children it waits
# for, so the RPM writers too).
#
#   sh bench/packages.sh [APPBUILD]        (default build/appbuild)
# Needs hyperfine, dpkg-dev, debhelper, dh-virtualenv, rpm (rpmbuild,
# rpm2cpio) and cpio (make deps).
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

	# rpm floor: the trees of the RPMs appbuild writes, a spec each with
	# builder/rpmbuild.c's macros (spec_head)
	"$appbuild" rpm "$app" $opts -o "$tmp/rwarm-$name" >/dev/null 2>&1
	mkdir -p "$tmp/rtrees-$name" "$tmp/rspecs-$name" "$tmp/rfloor-$name" "$tmp/rtop-$name"
	: >"$tmp/rfloor-$name.list"
	for f in "$tmp/rwarm-$name"/*.rpm; do
		n=$(rpm -qp --qf '%{NAME}' "$f" 2>/dev/null)
		mkdir -p "$tmp/rtrees-$name/$n"
		rpm2cpio "$f" | (cd "$tmp/rtrees-$name/$n" && cpio -idm --quiet)
		{
			printf '%%global %s\n' '__spec_install_pre %{nil}' '__spec_install_post %{nil}' \
				'__os_install_post %{nil}' '__arch_install_post %{nil}' \
				'debug_package %{nil}' '_build_id_links none' '__check_files %{nil}' \
				'_buildhost appbuild' 'use_source_date_epoch_as_buildtime 1' \
				'clamp_mtime_to_source_date_epoch 1' '_binary_payload w3.zstdio' \
				'_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm'
			rpm -qp --qf 'Name: %{NAME}\nVersion: %{VERSION}\nRelease: %{RELEASE}\nSummary: %{SUMMARY}\nLicense: %{LICENSE}\nBuildArch: %{ARCH}\n' \
				"$f" 2>/dev/null
			printf 'AutoReqProv: no\n\n%%description\nbench\n\n%%install\n\n%%files\n%%defattr(-,root,root,-)\n'
			rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$f" 2>/dev/null |
				sed 's|^d[^ ]* \(.*\)|%dir "\1"|; t; s|^[^ ]* \(.*\)|"\1"|'
		} >"$tmp/rspecs-$name/$n.spec"
		echo "$n" >>"$tmp/rfloor-$name.list"
	done
	cat >"$tmp/rfloor-$name.sh" <<EOF
xargs -P "\$(nproc)" -L 1 sh -c 'rpmbuild -bb --noclean --quiet --buildroot "$tmp/rtrees-$name/\$0" \\
	--define "_topdir $tmp/rtop-$name/\$0" --define "_rpmdir $tmp/rfloor-$name" \\
	"$tmp/rspecs-$name/\$0.spec" >/dev/null 2>&1' <"$tmp/rfloor-$name.list"
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
		-n "appbuild rpm" "$appbuild rpm $app $opts -o $tmp/rout-$name" \
		-n "rpm floor" "sh $tmp/rfloor-$name.sh" \
		>/dev/null
	for fmt in deb rpm; do
		/usr/bin/time -v -o "$tmp/time-$fmt-$name" "$appbuild" $fmt "$app" $opts \
			-o "$tmp/out-$fmt-$name" >/dev/null 2>&1
	done
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time-deb-$name")
	rrss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time-rpm-$name")
	npk=$(ls "$tmp/warm-$name" | wc -l)
	bytes=$(cat "$tmp/warm-$name"/*.deb | wc -c)
	rbytes=$(cat "$tmp/rwarm-$name"/*.rpm | wc -c)
	dbytes=$(cat "$tmp/dhv-$name"/*.deb | wc -c)
	[ "$(ls "$tmp/rfloor-$name"/*.rpm | wc -l)" = "$(ls "$tmp/rwarm-$name" | wc -l)" ] || {
		echo "bench/packages.sh: the rpm floor did not build every package" >&2
		exit 1
	}
	python3 - "$tmp/h-$name.json" "$rss" "$runs" "$name" "$npk" "$bytes" "$dbytes" "$rrss" \
		"$rbytes" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, f, d, ra, rf = (r[k]["median"] for k in ("appbuild", "floor", "dh-virtualenv",
                                            "appbuild rpm", "rpm floor"))
cpu = {k: r[k]["user"] + r[k]["system"] for k in r}
print(f"{sys.argv[4]}: {sys.argv[5]} packages, DEB {int(sys.argv[6]) // 1024} KiB, "
      f"RPM {int(sys.argv[9]) // 1024} KiB "
      f"(dh-virtualenv: 1 package, {int(sys.argv[7]) // 1024} KiB); medians of {sys.argv[3]} runs")
print(f"  appbuild deb:                 {a:.3f} s (peak RSS {sys.argv[2]} KiB, goal <= 65536)")
print(f"  floor (dpkg-deb, parallel):   {f:.3f} s")
print(f"  dh-virtualenv:                {d:.3f} s")
print(f"  dh-virtualenv / appbuild:     {d / a:.1f}x (goal >= 20x)")
print(f"  appbuild / floor:             {a / f:.2f}x (goal <= 1.5x)")
print(f"  appbuild rpm:                 {ra:.3f} s (peak RSS {sys.argv[8]} KiB, goal <= 65536)")
print(f"  floor (rpmbuild -bb, par.):   {rf:.3f} s")
print(f"  appbuild rpm / floor:         {ra / rf:.2f}x (goal <= 1.5x)")
print("  mean CPU (user+sys): " + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items()))
EOF
done
