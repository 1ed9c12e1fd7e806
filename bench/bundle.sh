#!/bin/sh
# bench/bundle.sh - `appbuild bundle examples/flask-hello` (warm cache,
# file:// index, fresh lock) against `python3 -m venv --without-pip` +
# `python3 -m pip --python VENV install --no-deps <the same wheel files>`
# (byte-compiles, as appbuild does by default) + `tar czf`, and against the
# floor: `tar czf` (gzip -6: appbuild's level, on one core) of the
# already-installed tree. The three in one hyperfine invocation, medians of
# RUNS (5) runs; prints both ratios and appbuild's peak RSS (time -v). Also
# timed: appbuild after an app file changed (what CI meets on most commits:
# the dependencies' .pyc files and tar segments come from the cache, the
# app's segment is compressed again).
#
#   sh bench/bundle.sh [APPBUILD]        (default build/appbuild)
set -eu
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_NO_INDEX PIP_REQUIRE_VIRTUALENV \
	APPBUILD_FIND_LINKS APPBUILD_EXTRA_INDEX_URL APPBUILD_INDEX_URL APPBUILD_NO_INDEX
for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
here=$(cd "$(dirname "$0")/.." && pwd)
appbuild=${1:-$here/build/appbuild}
shared=${SHARED:-$here/../shared}
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
SOURCE_DATE_EPOCH=1700000000
TMPDIR=$tmp/t
export SOURCE_DATE_EPOCH TMPDIR
mkdir -p "$TMPDIR"

app=$tmp/flask-hello
cp -r "$here/examples/flask-hello" "$app"
rm -rf "$app/dist" "$app/dependencies.lock"
opts="--cache-dir $tmp/cache --index-url file://$shared/pyindex/simple"
"$appbuild" lock "$app" $opts >/dev/null 2>&1
# warm-up: fills the cache
"$appbuild" bundle "$app" $opts -o "$tmp/warm.tar.gz" >/dev/null 2>&1

# the same wheel files appbuild installed, for pip
mkdir -p "$tmp/tree"
tar xzf "$tmp/warm.tar.gz" -C "$tmp/tree"
files=
for f in $(python3 -c 'import json, sys
for d in json.load(open(sys.argv[1]))["distributions"]: print(d["file"])' \
	"$tmp/tree/flask-hello-1.0.0/appbuild.json"); do
	files="$files '$shared/pyindex/files/$f'"
done
cat >"$tmp/peer.sh" <<EOF
rm -rf '$tmp/pipvenv' '$tmp/p.tar.gz'
python3 -m venv --without-pip '$tmp/pipvenv'
python3 -m pip --python '$tmp/pipvenv/bin/python' install --no-deps --no-index -q \\
	--disable-pip-version-check $files >/dev/null 2>&1
tar czf '$tmp/p.tar.gz' -C '$tmp' pipvenv
EOF
# one hyperfine invocation for the three, so they share the machine's load
# appbuild as a user runs it (TMPDIR unset: it stages in /dev/shm when that
# is a tmpfs with room), and staging on the disk under $TMPDIR
hyperfine -N -w 1 -r "$runs" --export-json "$tmp/h.json" \
	-n appbuild "env -u TMPDIR $appbuild bundle $app $opts -o $tmp/a.tar.gz" \
	-n appbuild-disk "$appbuild bundle $app $opts -o $tmp/a.tar.gz" \
	-n appbuild-changed "sh -c 'date +%N >$app/changed.txt && env -u TMPDIR $appbuild bundle $app $opts -o $tmp/a.tar.gz'" \
	-n pip "sh $tmp/peer.sh" \
	-n floor "tar czf $tmp/f.tar.gz -C $tmp/tree flask-hello-1.0.0" >/dev/null
/usr/bin/time -v -o "$tmp/time" env -u TMPDIR "$appbuild" bundle "$app" $opts -o "$tmp/a.tar.gz" \
	>/dev/null 2>&1
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
python3 - "$tmp/h.json" "$rss" "$runs" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, d, c, p, f = (r[k]["median"]
                 for k in ("appbuild", "appbuild-disk", "appbuild-changed", "pip", "floor"))
cpu = {k: r[k]["user"] + r[k]["system"] for k in r}
print(f"distributions: 8; medians of {sys.argv[3]} runs (hyperfine)")
print(f"appbuild bundle:               {a:.3f} s (peak RSS {sys.argv[2]} KiB)")
print(f"  staging on disk ($TMPDIR):   {d:.3f} s")
print(f"  an app file changed:         {c:.3f} s")
print(f"venv + pip install + tar czf:  {p:.3f} s")
print(f"floor (tar czf of the tree):   {f:.3f} s")
print(f"pip / appbuild:                {p / a:.1f}x (goal >= 20x)")
print(f"appbuild / floor:              {a / f:.2f}x (goal <= 1.5x)")
print("mean CPU (user+sys): " + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items()))
EOF
