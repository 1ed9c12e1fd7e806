#!/bin/sh
# check --json: the parsed app, exactly, for a fixture that uses every part
# of dependencies.txt that check reports (includes, constraints, hashes,
# extras, markers, index options) and no appbuild.yaml (defaults).
. "$(dirname "$0")/lib/common.sh"
cd "$FIXTURES/good-app" || exit 1

run check --json
expect_rc 0
expect_err </dev/null
expect_out <<'OUT'
{
  "name": "good-app",
  "version": "0",
  "directory": ".",
  "files": {
    "dependencies": "dependencies.txt",
    "external_dependencies": null,
    "wsgi": "bin/wsgiapp",
    "config": null
  },
  "python": null,
  "supervisor": "builtin",
  "processes": [],
  "package": {
    "summary": null,
    "description": null,
    "license": null,
    "maintainer": null,
    "url": null,
    "vendor": null
  },
  "wsgi": {
    "file": "bin/wsgiapp",
    "line": 4,
    "col": 5,
    "kind": "def"
  },
  "requirements": [
    {
      "file": "base.txt",
      "line": 1,
      "name": "gunicorn",
      "specifier": "==20.1.0",
      "extras": [],
      "marker": null,
      "url": null,
      "hashes": [],
      "requirement": "gunicorn==20.1.0",
      "kind": "pep508",
      "editable": false
    },
    {
      "file": "dependencies.txt",
      "line": 5,
      "name": "flask",
      "specifier": "<3,>=2.2",
      "extras": [
        "async"
      ],
      "marker": "python_version >= \"3.8\"",
      "url": null,
      "hashes": [],
      "requirement": "Flask[async] >= 2.2, < 3 ; python_version >= \"3.8\"",
      "kind": "pep508",
      "editable": false
    },
    {
      "file": "dependencies.txt",
      "line": 6,
      "name": "requests",
      "specifier": "==2.28.1",
      "extras": [],
      "marker": null,
      "url": null,
      "hashes": [
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      ],
      "requirement": "requests==2.28.1",
      "kind": "pep508",
      "editable": false
    }
  ],
  "constraints": [
    {
      "file": "constraints.txt",
      "line": 1,
      "name": "werkzeug",
      "specifier": "<2.3",
      "extras": [],
      "marker": null,
      "url": null,
      "hashes": [],
      "requirement": "werkzeug<2.3",
      "kind": "pep508",
      "editable": false
    }
  ],
  "index": {
    "index_urls": [
      "https://pypi.example.org/simple"
    ],
    "find_links": [],
    "no_index": false,
    "pre": false,
    "prefer_binary": false,
    "require_hashes": false,
    "no_binary": [],
    "only_binary": [],
    "trusted_hosts": []
  },
  "external_dependencies": []
}
OUT

# the examples' JSON is valid and names what appbuild.yaml says
cd "$TOP" || exit 1
run check --json examples/pyramid-app
expect_rc 0
python3 - "$T/out" <<'PY' || fail "examples/pyramid-app JSON"
import json, sys
app = json.load(open(sys.argv[1]))
assert app["name"] == "pyramid-app", app["name"]
assert app["version"] == "0.3.0"
assert app["python"] == ">=3.9"
assert app["processes"] == [{"name": "web", "command": "waitress-serve --listen=127.0.0.1:6543 wsgiapp:application", "count": 1}], app["processes"]
assert [r["name"] for r in app["requirements"]] == ["pyramid", "waitress"]
assert [e["name"] for e in app["external_dependencies"]] == ["python3.11", "tzdata"]
PY
