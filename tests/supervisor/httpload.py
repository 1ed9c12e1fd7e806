"""httpload.py - steady HTTP load for tests/cli/0813 (issue #8): a few
threads, each doing GET requests back to back, a new connection every time
(so a refused or reset connection shows), until STOP_FILE exists or
MAX_SECONDS passed. Python standard library only.

    python3 httpload.py URL STOP_FILE MAX_SECONDS [THREADS]

Prints "requests N ok N failed N" and one line per failure (at most 20);
exits 0 when every request got a 200, 1 otherwise, 2 when none was made.
"""
import http.client
import os
import sys
import threading
import time
import urllib.parse


def main():
    url, stop_file, max_seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    u = urllib.parse.urlsplit(url)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    lock = threading.Lock()
    counts = {"requests": 0, "ok": 0}
    failures = []
    slowest = [0.0, 0.0]
    deadline = time.monotonic() + max_seconds

    def worker(n):
        i = 0
        while time.monotonic() < deadline and not os.path.exists(stop_file):
            i += 1
            t0 = time.monotonic()
            what = None
            try:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                c.request("GET", "%s%sn=%d.%d" % (path, "&" if "?" in path else "?", n, i))
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status != 200:
                    what = "status %d: %r" % (r.status, body[:80])
            except Exception as e:  # refused, reset, timeout: all count
                what = "%s: %s" % (type(e).__name__, e)
            took = time.monotonic() - t0
            with lock:
                counts["requests"] += 1
                if took > slowest[0]:
                    slowest[0], slowest[1] = took, time.time() - took
                if what is None:
                    counts["ok"] += 1
                else:
                    failures.append("%.3f %s" % (time.time(), what))
            time.sleep(0.01)

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("requests %d ok %d failed %d slowest %.3fs (started at %s.%03d)" % (
        counts["requests"], counts["ok"], len(failures), slowest[0],
        time.strftime("%H:%M:%S", time.gmtime(slowest[1])), int(slowest[1] * 1000) % 1000))
    for f in failures[:20]:
        print("failure: " + f)
    if counts["requests"] == 0:
        return 2
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
