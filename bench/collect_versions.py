"""Every version string found in ../shared: the vector files, pyindex's
wheels and sdists, and the bench indexes' metadata. One per line, as found
(so invalid and unnormalized spellings are part of the work)."""
import json
import os
import re
import sys

shared = sys.argv[1]
out = []
v = os.path.join(shared, "vectors")
out += [c["input"] for c in json.load(open(f"{v}/versions.json"))["cases"]]
vo = json.load(open(f"{v}/version_order.json"))
out += vo["sorted"] + vo["upstream_sorted"]
for c in vo["cases"]:
    out += [c["a"], c["b"]]
for c in json.load(open(f"{v}/specifiers.json"))["cases"]:
    out += [k["version"] for k in c.get("checks", [])]
for line in open(f"{shared}/pyindex/DISTRIBUTIONS.tsv", encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) > 1 and f[0] != "project":
        out.append(f[1])
for s in ("boto", "large", "app"):
    meta = json.load(open(f"{shared}/bench/{s}/metadata.json"))
    projects = meta["projects"] if isinstance(meta, dict) and "projects" in meta else meta
    items = projects.values() if isinstance(projects, dict) else projects
    for p in items:
        vers = p.get("versions", {})
        out += list(vers.keys()) if isinstance(vers, dict) else [x["version"] for x in vers]
out = [s for s in out if "\n" not in s and "\r" not in s]
sys.stdout.write("".join(s + "\n" for s in out))
