"""The same work as bench_formats.c through Python's packaging (pip's vendored
copy): parse every line as a Version (invalid ones skipped) and sort them.
Prints the median round time, in the same format."""
import statistics
import sys
import time

from pip._vendor.packaging.version import InvalidVersion, Version

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 21
times = []
ptimes = []
valid = 0
for _ in range(rounds):
    t0 = time.perf_counter()
    vs = []
    for s in lines:
        try:
            vs.append(Version(s))
        except InvalidVersion:
            pass
    ptimes.append(time.perf_counter() - t0)
    vs.sort()
    times.append(time.perf_counter() - t0)
    valid = len(vs)
print(f"{len(lines)} versions ({valid} valid), median of {rounds} rounds: "
      f"{statistics.median(times) * 1e3:.3f} ms (parse {statistics.median(ptimes) * 1e3:.3f} ms)")
