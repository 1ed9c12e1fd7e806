#!/bin/sh
# The examples' pinned and ranged requirements name projects and versions
# that the test index in ../shared/pyindex really has.
. "$(dirname "$0")/lib/common.sh"
need_shared
cd "$TOP" || exit 1

for ex in examples/flask-hello examples/pyramid-app; do
	run check --json "$ex"
	expect_rc 0
	python3 - "$T/out" "$SHARED/pyindex/DISTRIBUTIONS.tsv" <<'PY' || fail "$ex: requirements not in the index"
import json, sys
app = json.load(open(sys.argv[1]))
have = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if f[0] != "project":
        have.setdefault(f[0], []).append(f[1])
for r in app["requirements"]:
    assert r["name"] in have, r["name"]
    spec = r["specifier"]
    if spec.startswith("=="):
        assert spec[2:] in have[r["name"]], (r["name"], spec, have[r["name"]])
PY
done
