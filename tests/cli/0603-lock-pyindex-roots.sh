#!/bin/sh
# Every root of ../shared/pyindex/ROOTS.txt resolves to the same 152
# distributions as pip 23.2.1 (pip install --dry-run --report); the pip
# answer is computed once and kept next to the cache (it takes seconds).
. "$(dirname "$0")/lib/common.sh"
need_shared
IDX="file://$SHARED/pyindex/simple"
mkdir -p "$T/app/bin"
cp "$TOP/examples/flask-hello/bin/wsgiapp" "$T/app/bin/"
grep -v '^#' "$SHARED/pyindex/ROOTS.txt" >"$T/app/dependencies.txt"
run lock "$T/app" --cache-dir "$T/cache" --index-url "$IDX"
expect_rc 0
sed -n 's/^\([a-z0-9-]*==[^ ]*\) .*/\1/p' "$T/app/dependencies.lock" | sort >"$T/ours"
want=$TOP/build/pyindex-roots-pip.txt
if [ ! -s "$want" ] || [ "$want" -ot "$SHARED/pyindex/ROOTS.txt" ]; then
	for v in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
	python3 -m pip install -q --disable-pip-version-check --dry-run --ignore-installed \
		--report "$T/report.json" --index-url "$IDX" -r "$T/app/dependencies.txt" \
		>"$T/pip.log" 2>&1 || { cat "$T/pip.log"; fail "pip failed"; }
	python3 - "$T/report.json" >"$want.tmp" <<'PY' || fail "cannot read pip's report"
import json, re, sys
r = json.load(open(sys.argv[1]))
for n in sorted(re.sub(r"[-_.]+", "-", i["metadata"]["name"]).lower() + "==" +
                i["metadata"]["version"] for i in r["install"]):
    print(n)
PY
	mv "$want.tmp" "$want"
fi
diff "$want" "$T/ours" >"$T/diff" || { cat "$T/diff"; fail "different from pip"; }
[ "$(wc -l <"$T/ours")" = 152 ] || fail "expected 152 distributions"
exit 0
