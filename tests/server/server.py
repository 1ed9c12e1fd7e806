#!/usr/bin/env python3
"""Test HTTP server for appbuild's index client: serves a directory with
fault injection. Python 3 standard library only.

    server.py ROOT [--port N] [--tls CERT KEY]

Listens on 127.0.0.1 (an ephemeral port by default), prints "PORT <n>" on
stdout once ready (HTTPS with --tls: CERT and KEY are PEM files, the
certificate chain first; the handshake runs in the request's thread, so a
client that never completes it blocks nobody), and serves until killed (or until stdin reaches EOF, so a
test that dies cannot leave it behind).

Faults are chosen by a path prefix, /f/<spec>/<path>, where <spec> is a
comma-separated list; relative links in the pages keep the prefix, so a fault
applies to a whole index tree. Counters are per (spec, path):

    500xN      the first N requests answer 500
    resetxN    the first N requests: the connection is reset, no response
    stallxN    the first N requests: the headers, then a 5 s stall
    truncxN    the first N requests: half the body, then the connection closes
    badhash    files (not pages) are served with one byte flipped
    norange    Range is ignored (200 with the whole body)
    noetag     no ETag/Last-Modified, so no 304s
    redirect   302 to the same path without the /f/<spec> prefix
    auth       Basic auth required: user "u", password "p"
    latencyN   N ms before every response
    cc600      Cache-Control: max-age=600
    pep691     content negotiation: Accept application/vnd.pypi.simple.v1+json
               gets a directory's index.json

/git/<path> is git's smart HTTP protocol for the repository ROOT/<path>,
through `git http-backend` (GET and POST); the same repository under its
plain path is the dumb protocol (static files, after `git
update-server-info`). Both count in the stats.

GET /_stats answers {"requests": N, "304": N, "206": N} and /_reset clears
counters and stats.
"""
import base64
import email.utils
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

ROOT = "."
LOCK = threading.Lock()
COUNTS = {}
STATS = {"requests": 0, "304": 0, "206": 0}
PEP691 = "application/vnd.pypi.simple.v1+json"


def take(spec, path, kind, n):
    """True while fewer than n requests of this kind hit (spec, path)."""
    with LOCK:
        key = (spec, path, kind)
        c = COUNTS.get(key, 0)
        COUNTS[key] = c + 1
        return c < n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY,
    # Nagle + delayed ACKs add 40 ms to every keep-alive response
    disable_nagle_algorithm = True
    server_version = "appbuild-test/1"

    def log_message(self, fmt, *args):
        if os.environ.get("APPBUILD_TEST_SERVER_LOG"):
            sys.stderr.write("server: " + (fmt % args) + "\n")

    def parse_faults(self, path):
        faults = {}
        spec = ""
        if path.startswith("/f/"):
            rest = path[3:]
            spec, _, tail = rest.partition("/")
            path = "/" + tail
            for item in spec.split(","):
                name, x, count = item.partition("x")
                if x and count.isdigit():
                    faults[name] = int(count)
                elif item.startswith("latency") and item[7:].isdigit():
                    faults["latency"] = int(item[7:])
                elif item:
                    faults[item] = 1
        return spec, path, faults

    def do_HEAD(self):
        self.handle_req(head=True)

    def do_GET(self):
        if urlsplit(self.path).path.startswith("/git/"):
            return self.git_cgi()
        self.handle_req(head=False)

    def do_POST(self):
        if urlsplit(self.path).path.startswith("/git/"):
            return self.git_cgi()
        self.send_simple(405, b"method not allowed")

    def git_cgi(self):
        """git http-backend as a CGI program (smart HTTP)."""
        import subprocess
        with LOCK:
            STATS["requests"] += 1
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=os.path.abspath(ROOT), GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=unquote(url.path[4:]), QUERY_STRING=url.query,
                   REQUEST_METHOD=self.command, REMOTE_ADDR="127.0.0.1",
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)))
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        if self.headers.get("Content-Encoding") == "gzip":
            env["HTTP_CONTENT_ENCODING"] = "gzip"
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        head, _, data = out.partition(b"\r\n\r\n")
        if not _:
            head, _, data = out.partition(b"\n\n")
        code, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                code = int(v.split()[0])
            elif k:
                headers.append((k.strip(), v.strip()))
        self.send_simple(code, data, headers)

    def send_simple(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def handle_req(self, head):
        url = urlsplit(self.path)
        raw_path = url.path
        if raw_path == "/_stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            return self.send_simple(200, body, [("Content-Type", "application/json")])
        if raw_path == "/_reset":
            with LOCK:
                COUNTS.clear()
                for k in STATS:
                    STATS[k] = 0
            return self.send_simple(200, b"ok")
        with LOCK:
            STATS["requests"] += 1
        spec, path, faults = self.parse_faults(raw_path)
        if "latency" in faults:
            time.sleep(faults["latency"] / 1000.0)
        if "auth" in faults:
            want = "Basic " + base64.b64encode(b"u:p").decode()
            if self.headers.get("Authorization") != want:
                return self.send_simple(401, b"auth required",
                                        [("WWW-Authenticate", 'Basic realm="test"')])
        if "redirect" in faults:
            return self.send_simple(302, b"", [("Location", path)])
        if "500" in faults and take(spec, path, "500", faults["500"]):
            return self.send_simple(500, b"injected 500")
        if "reset" in faults and take(spec, path, "reset", faults["reset"]):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        fs = os.path.normpath(os.path.join(ROOT, unquote(path).lstrip("/")))
        if not (fs + "/").startswith(os.path.normpath(ROOT) + "/"):
            return self.send_simple(403, b"forbidden")
        ctype = "application/octet-stream"
        if os.path.isdir(fs):
            if not raw_path.endswith("/"):
                return self.send_simple(301, b"", [("Location", raw_path + "/")])
            accept = self.headers.get("Accept", "")
            if "pep691" in faults and PEP691 in accept and \
                    os.path.exists(os.path.join(fs, "index.json")):
                fs = os.path.join(fs, "index.json")
                ctype = PEP691
            else:
                fs = os.path.join(fs, "index.html")
                ctype = "text/html"
        elif fs.endswith(".html"):
            ctype = "text/html"
        elif fs.endswith(".json"):
            ctype = "application/json"
        try:
            with open(fs, "rb") as f:
                data = f.read()
            st = os.stat(fs)
        except OSError:
            return self.send_simple(404, b"not found")
        is_page = ctype != "application/octet-stream"
        if "badhash" in faults and not is_page and data:
            data = bytes([data[0] ^ 1]) + data[1:]
        headers = [("Content-Type", ctype)]
        if "noetag" not in faults:
            etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
            headers.append(("ETag", etag))
            headers.append(("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True)))
            if self.headers.get("If-None-Match") == etag:
                with LOCK:
                    STATS["304"] += 1
                self.send_response(304)
                for k, v in headers[1:]:
                    self.send_header(k, v)
                self.end_headers()
                return
        if "cc600" in faults:
            headers.append(("Cache-Control", "max-age=600"))
        code = 200
        rng = self.headers.get("Range")
        if "norange" not in faults:
            headers.append(("Accept-Ranges", "bytes"))
            if rng and rng.startswith("bytes=") and "," not in rng:
                a, _, b = rng[6:].partition("-")
                n = len(data)
                try:
                    if a == "":
                        start, end = max(0, n - int(b)), n - 1
                    else:
                        start = int(a)
                        end = min(int(b), n - 1) if b else n - 1
                except ValueError:
                    start, end = 0, n - 1
                if start >= n or start > end:
                    return self.send_simple(416, b"", [("Content-Range", "bytes */%d" % n)])
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, n)))
                data = data[start:end + 1]
                code = 206
                with LOCK:
                    STATS["206"] += 1
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if head:
            return
        if "stall" in faults and take(spec, path, "stall", faults["stall"]):
            # nothing after the headers: a client's speed check sees 0 bytes/s
            self.wfile.flush()
            time.sleep(5)
            self.close_connection = True
            return
        if "trunc" in faults and take(spec, path, "trunc", faults["trunc"]):
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    tls = None  # ssl.SSLContext with --tls

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls:
            sock = self.tls.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # a client that rejects our certificate aborts the handshake: expected
        if not os.environ.get("APPBUILD_TEST_SERVER_LOG"):
            return
        super().handle_error(request, client_address)


def main():
    global ROOT
    args = sys.argv[1:]
    port = 0
    if "--port" in args:
        i = args.index("--port")
        port = int(args[i + 1])
        del args[i:i + 2]
    tls = None
    if "--tls" in args:
        i = args.index("--tls")
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args[i + 1], args[i + 2])
        del args[i:i + 3]
    ROOT = os.path.abspath(args[0] if args else ".")
    srv = Server(("127.0.0.1", port), Handler)
    srv.tls = tls
    print("PORT %d" % srv.server_address[1], flush=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        sys.stdin.read()  # EOF: the test that started us is gone
    except KeyboardInterrupt:
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
