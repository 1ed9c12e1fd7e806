# gitrepos.sh - git repositories for the direct-reference tests (1011-1013).
# Source it after common.sh; `make_repos DIR` creates, with fixed dates:
#
#   DIR/gitpkg     flit-core project "gitpkg": tag v1.0 (version 1.0, needs
#                  idna>=3), branch main (1.1), branch dev (2.0.dev1, needs
#                  itsdangerous); gitpkg/vendored is a submodule (DIR/vendored)
#   DIR/vendored   one file, vendored/__init__.py
#   DIR/mono       projects/alpha (flit-core project "alpha" 0.1), projects/beta
#                  (hatchling project "beta", its version 0.2 dynamic: a backend run)
#   DIR/otherapp   an app (bin/wsgiapp, dependencies.txt: gitpkg from DIR/gitpkg@v1.0)
#
# and sets GP1 (the v1.0 commit), GPMAIN (main), GPDEV (dev).
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t \
	GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE='2024-01-02T03:04:05Z' \
	GIT_COMMITTER_DATE='2024-01-02T03:04:05Z' GIT_CONFIG_NOSYSTEM=1
# the submodule is cloned from a local path: git >= 2.38.1 needs this
gitq() { git -c protocol.file.allow=always -c init.defaultBranch=main "$@" -q; }

flit_project() { # dir name version deps
	mkdir -p "$1/$2"
	cat >"$1/pyproject.toml" <<EOF
[build-system]
requires = ["flit_core>=3.2,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "$2"
version = "$3"
description = "test project $2"
dependencies = [$4]
EOF
	[ -e "$1/$2/__init__.py" ] || echo "\"\"\"$2\"\"\"" >"$1/$2/__init__.py"
}

make_repos() {
	R=$1
	mkdir -p "$R"
	gitq init "$R/vendored"
	echo 'X = 1' >"$R/vendored/__init__.py"
	(cd "$R/vendored" && git add -A && gitq commit -m vendored)

	gitq init "$R/gitpkg"
	flit_project "$R/gitpkg" gitpkg 1.0 '"idna>=3"'
	(cd "$R/gitpkg" && git add -A && gitq commit -m one && git tag v1.0 &&
		git -c protocol.file.allow=always submodule -q add "$R/vendored" gitpkg/vendored && gitq commit -m submodule)
	flit_project "$R/gitpkg" gitpkg 1.1 '"idna>=3"'
	(cd "$R/gitpkg" && git add -A && gitq commit -m 1.1 && gitq checkout -b dev)
	flit_project "$R/gitpkg" gitpkg 2.0.dev1 '"itsdangerous"'
	(cd "$R/gitpkg" && git add -A && gitq commit -m dev && gitq checkout main)
	GP1=$(git -C "$R/gitpkg" rev-parse v1.0)
	GPMAIN=$(git -C "$R/gitpkg" rev-parse main)
	GPDEV=$(git -C "$R/gitpkg" rev-parse dev)

	gitq init "$R/mono"
	flit_project "$R/mono/projects/alpha" alpha 0.1 ''
	mkdir -p "$R/mono/projects/beta/beta"
	echo '__version__ = "0.2"' >"$R/mono/projects/beta/beta/__init__.py"
	cat >"$R/mono/projects/beta/pyproject.toml" <<EOF
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "beta"
dynamic = ["version"]

[tool.hatch.version]
path = "beta/__init__.py"
EOF
	(cd "$R/mono" && git add -A && gitq commit -m mono)

	gitq init "$R/otherapp"
	mkdir -p "$R/otherapp/bin"
	echo 'application = None' >"$R/otherapp/bin/wsgiapp"
	echo "gitpkg @ git+file://$R/gitpkg@v1.0" >"$R/otherapp/dependencies.txt"
	(cd "$R/otherapp" && git add -A && gitq commit -m app)
}
