#!/bin/sh
# appbuild bundle refuses malicious wheels: each is built here (python3's
# zipfile) and served from a --find-links directory, and an app requiring
# it is bundled. Each is refused with one error line naming the wheel and
# the entry, with its documented exit status (4 invalid, 8 hash), and
# nothing is written: no dist/, nothing left in $TMPDIR, no file outside.
. "$(dirname "$0")/lib/common.sh"
W=$T/wheels
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$W" "$T/tmp" "$T/outside"

python3 - "$W" "$T/outside" <<'PY' || fail "cannot build the wheels"
import base64, hashlib, struct, sys, zipfile

out, outside = sys.argv[1], sys.argv[2]


def row(path, data):
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, h, len(data))


def patch_local(path, member, usize):
    """Make the member's local header declare usize uncompressed bytes (in
    its zip64 extra field when it has one)."""
    with zipfile.ZipFile(path) as zf:
        off = zf.getinfo(member).header_offset
    with open(path, "r+b") as f:
        f.seek(off)
        h = f.read(30)
        nlen, elen = struct.unpack("<HH", h[26:30])
        if struct.unpack("<I", h[22:26])[0] != 0xFFFFFFFF:
            f.seek(off + 22)
            f.write(struct.pack("<I", usize))
            return
        f.seek(off + 30 + nlen)
        extra = f.read(elen)
        i = 0
        while i < len(extra):
            hid, sz = struct.unpack("<HH", extra[i:i + 4])
            if hid == 1:
                f.seek(off + 30 + nlen + i + 4)
                f.write(struct.pack("<Q", usize))
                return
            i += 4 + sz
        raise SystemExit("no zip64 extra field")


def wheel(name, members, record=None, declare=None):
    """members: (ZipInfo or name, data); record: rows replacing the computed
    ones by name; declare: (member, size): both headers of the member
    declare that uncompressed size."""
    proj = name.replace("-", "_")
    di = "%s-1.0.dist-info" % proj
    files = [("%s/__init__.py" % proj, b"")] + members + [
        ("%s/METADATA" % di, ("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name).encode()),
        ("%s/WHEEL" % di, b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    rows = []
    for n, d in files:
        fn = n if isinstance(n, str) else n.filename
        rows.append((record or {}).get(fn, row(fn, d)))
    rows.append("%s/RECORD,," % di)
    path = "%s/%s-1.0-py3-none-any.whl" % (out, proj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files:
            if declare and n == declare[0]:
                with zf.open(n, "w", force_zip64=declare[1] > 0xFFFFFFFE) as w:
                    w.write(d)
                zf.getinfo(n).file_size = declare[1]  # the central directory
            else:
                zf.writestr(n, d)
        zf.writestr("%s/RECORD" % di, "\n".join(rows) + "\n")
    if declare:
        patch_local(path, declare[0], declare[1])


# zip-slip: a relative path that climbs out of the environment
wheel("evil-slip", [("../../../outside/slip.py", b"x = 1\n")])
# an absolute path
wheel("evil-abs", [(outside + "/abs.py", b"x = 1\n")])
# a symbolic link pointing out of the environment
link = zipfile.ZipInfo("evil_link/escape")
link.create_system = 3
link.external_attr = (0o120777 << 16)
wheel("evil-link", [(link, b"../../../../../../../etc/passwd")])
# RECORD's hash is not the file's (same size)
wheel("evil-record", [("evil_record/mod.py", b"print('tampered')\n")],
      record={"evil_record/mod.py": row("evil_record/mod.py", b"print('original')\n")})


# a member declaring 1 TiB (zip64, in both headers)
wheel("evil-huge", [("evil_huge/big.bin", b"small\n")], declare=("evil_huge/big.bin", 1 << 40))
# a zip bomb: 64 MiB of zeros deflated to ~64 KiB, declared (both zip
# headers and RECORD) as 1000 bytes
zeros = bytes(64 << 20)
wheel("evil-bomb", [("evil_bomb/zeros.bin", zeros)], declare=("evil_bomb/zeros.bin", 1000),
      record={"evil_bomb/zeros.bin": row("evil_bomb/zeros.bin", zeros[:1000])})
PY

# name  exit-status  the error line
while read -r name rc want; do
	proj=$(echo "$name" | tr - _)
	A=$T/apps/$name-app
	rm -rf "$A"
	mkdir -p "$A/bin"
	echo "$name==1.0" >"$A/dependencies.txt"
	echo 'application = None' >"$A/bin/wsgiapp"
	run bundle "$A" --cache-dir "$T/cache" --no-index --find-links "$W" --no-compile
	expect_rc "$rc"
	errs=$(grep -c 'error:' "$T/err")
	[ "$errs" = 1 ] || fail "$name: $errs error lines: $(cat "$T/err")"
	grep -qxF -- "$proj-1.0-py3-none-any.whl: error: $want" "$T/err" ||
		fail "$name: unexpected error: $(cat "$T/err")"
	[ ! -e "$A/dist" ] || fail "$name: dist/ was created"
	[ -z "$(ls -A "$T/tmp")" ] || fail "$name: left in TMPDIR: $(ls -A "$T/tmp")"
	[ -z "$(ls -A "$T/outside")" ] || fail "$name: written outside: $(ls -A "$T/outside")"
	[ -z "$(cat "$T/out")" ] || fail "$name: stdout not empty"
done <<EOF
evil-slip 4 path '../../../outside/slip.py' in the wheel escapes the target directory
evil-abs 4 absolute path '$T/outside/abs.py' in the wheel
evil-link 4 symbolic link 'evil_link/escape' -> '../../../../../../../etc/passwd' points outside the wheel
evil-record 8 hash mismatch for 'evil_record/mod.py': RECORD says sha256=vBMBFAN2ukXYXyPag_ytLHipkx_anKdOjpaWAxsDPiQ, the file has LJ4SGrovOsrYZzKm57RsaySXlrXX4worokuATeONYeQ
evil-huge 4 'evil_huge/big.bin' declares 1099511627776 bytes
evil-bomb 8 'evil_bomb/zeros.bin' is larger than RECORD says
EOF
exit 0
