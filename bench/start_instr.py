#!/usr/bin/env python3
"""A program's start counted in instructions (valgrind's callgrind), for
machines where wall-clock times are noisy or perf counters are missing.
    start_instr.py fcgi PROGRAM TOKEN URI OUT   spawn it on a FastCGI socket (fd 0),
        send one GET, and on its first answer end it with SIGTERM (default action:
        no exit handlers run, so the count stops at the answer plus the next accept)
    start_instr.py cgi PROGRAM TOKEN URI OUT    run it once as plain CGI, to its exit
MCPAUTH_* settings come from the environment. Writes callgrind's profile to
OUT (read it with callgrind_annotate OUT) and prints the total instructions."""
import os, re, signal, socket, struct, subprocess, sys, tempfile

VALGRIND = ["valgrind", "--tool=callgrind", "-q"]


def record(rtype, content, req_id=1):
    return struct.pack("!BBHHBx", 1, rtype, req_id, len(content), 0) + content


def params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else struct.pack("!I", len(v) | 0x80000000)) + k + v
    return out


def fcgi(program, token, uri, out):
    path = tempfile.mktemp(prefix="mcpauth-start-", suffix=".sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    proc = subprocess.Popen(VALGRIND + ["--callgrind-out-file=" + out, program], stdin=srv.fileno(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    env = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri, "HTTP_AUTHORIZATION": "Bearer " + token,
           "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"}
    c.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, params(env)) + record(4, b"") + record(5, b""))
    data = b""
    # The answer is complete with its FCGI_END_REQUEST record (type 3).
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
        if end_request_seen(data):
            break
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    c.close()
    srv.close()
    os.unlink(path)
    if b"200 OK" not in data:
        sys.exit("no 200 answer: %r" % data[:300])


def end_request_seen(data):
    i = 0
    while i + 8 <= len(data):
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", data[i:i + 7])
        if rtype == 3:
            return True
        i += 8 + clen + plen
    return False


def cgi(program, token, uri, out):
    env = {k: v for k, v in os.environ.items() if k.startswith(("MCPAUTH_", "AUTH0_"))}
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "REQUEST_URI": uri,
                "HTTP_AUTHORIZATION": "Bearer " + token, "HTTP_HOST": "127.0.0.1",
                "SERVER_ADDR": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"})
    proc = subprocess.run(VALGRIND + ["--callgrind-out-file=" + out, program], env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if not proc.stdout.startswith(b"Status: 200 OK"):
        sys.exit("no 200 answer: %r" % proc.stdout[:300])


mode, program, token, uri, out = sys.argv[1:6]
{"fcgi": fcgi, "cgi": cgi}[mode](program, token, uri, out)
with open(out) as f:
    m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
print(m.group(1) if m else "no total in " + out)
