#!/usr/bin/env python3
"""Program start time: from spawning one FastCGI program (fd 0 = its listening
socket, as lighttpd and spawn-fcgi hand it) to its first answered GET
request (with a valid token). Prints the median of N runs in ms.
    fcgi_start.py PROGRAM TOKEN URI [N]   (MCPAUTH_* settings from the environment)"""
import os, socket, struct, subprocess, sys, tempfile, time


def record(rtype, content, req_id=1):
    return struct.pack("!BBHHBx", 1, rtype, req_id, len(content), 0) + content


def params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else struct.pack("!I", len(v) | 0x80000000)) + k + v
    return out


def once(program, token, uri):
    path = tempfile.mktemp(prefix="mcpauth-start-", suffix=".sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    t0 = time.perf_counter()
    proc = subprocess.Popen([program], stdin=srv.fileno(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    env = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri, "HTTP_AUTHORIZATION": "Bearer " + token,
           "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"}
    c.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, params(env)) + record(4, b"") + record(5, b""))
    data = b""
    while b"200 OK" not in data:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    t1 = time.perf_counter()
    proc.kill()
    proc.wait()
    c.close()
    srv.close()
    os.unlink(path)
    if b"200 OK" not in data:
        sys.exit("no 200 answer: %r" % data[:300])
    return (t1 - t0) * 1000


program, token, uri = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 21
times = sorted(once(program, token, uri) for _ in range(n))
print("%.1f" % times[len(times) // 2])
