#!/usr/bin/env python3
"""The FastCGI connection itself, spoken by hand to one program started the
way lighttpd and spawn-fcgi start it (fd 0 = its listening Unix socket):
how it closes a connection, bodies in several records, FCGI_KEEP_CONN,
the protocol's other records, caps and time limits, FCGI_WEB_SERVER_ADDRS.
    fcgi_client.py PROGRAM TOKEN LOG   (MCPAUTH_* settings from the environment;
                                        the program's stderr goes to LOG)
Prints one line per check: "ok NAME" or "not ok NAME: DETAIL"."""
import json, os, socket, struct, subprocess, sys, tempfile, time

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
GET_VALUES, GET_VALUES_RESULT = 9, 10
KEEP_CONN = 1


def record(rtype, content, req_id=1, padding=0):
    return struct.pack("!BBHHBx", 1, rtype, req_id, len(content), padding) + content + b"\0" * padding


def pair(k, v):
    k, v = k.encode(), v.encode()
    ln = lambda n: bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return ln(len(k)) + ln(len(v)) + k + v


def request(method, uri, token, body=b"", content_length=None, flags=0, chunks=1, padding=0):
    env = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "HTTP_HOST": "127.0.0.1",
           "REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": "Bearer " + token}
    if body or content_length is not None:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body) if content_length is None else content_length)
    out = record(BEGIN, struct.pack("!HB5x", 1, flags))
    out += record(PARAMS, b"".join(pair(k, v) for k, v in env.items())) + record(PARAMS, b"")
    size = max(1, -(-len(body) // chunks)) if body else 0
    for i in range(0, len(body), min(size, 65535) or 1):
        out += record(STDIN, body[i:i + min(size, 65535)], padding=padding)
    return out + record(STDIN, b"")


def read_record(sock, data=b""):
    """One record: (type, request id, content, the bytes after it)."""
    while len(data) < 8 or len(data) < 8 + struct.unpack("!BBHHBx", data[:8])[3] + data[6]:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a record")
        data += chunk
    _, rtype, rid, clen, plen = struct.unpack("!BBHHBx", data[:8])
    return rtype, rid, data[8:8 + clen], data[8 + clen + plen:]


def read_answer(sock):
    """Reads records up to FCGI_END_REQUEST: (stdout bytes, app status, protocol status)."""
    data, out = b"", b""
    while True:
        while len(data) < 8:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed before FCGI_END_REQUEST")
            data += chunk
        _, rtype, _, clen, plen = struct.unpack("!BBHHBx", data[:8])
        while len(data) < 8 + clen + plen:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside a record")
            data += chunk
        content, data = data[8:8 + clen], data[8 + clen + plen:]
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            app, proto = struct.unpack("!IB3x", content)
            return out, app, proto


def status_of(out):
    line = out.split(b"\r\n", 1)[0].decode()
    return int(line.split()[1]) if line.startswith("Status:") else 0


def body_of(out):
    return json.loads(out.split(b"\r\n\r\n", 1)[1])


def closed_by_peer(sock):
    """After EOF: whether the program has closed its socket (a write fails)
    rather than only shut down its side while it reads on."""
    try:
        sock.sendall(b"\0" * 8)
        return False
    except (BrokenPipeError, ConnectionResetError):
        return True


def at_eof(sock):
    sock.settimeout(10)
    return sock.recv(1) == b""


results = []


def check(name, cond, detail=""):
    results.append("ok " + name if cond else "not ok %s: %s" % (name, detail))


def main():
    program, token, log = sys.argv[1], sys.argv[2], sys.argv[3]
    path = tempfile.mktemp(prefix="mcpauth-fcgi-", suffix=".sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    with open(log, "ab") as err:
        proc = subprocess.Popen([program], stdin=srv.fileno(), stdout=subprocess.DEVNULL, stderr=err)
    try:
        run(path, token)
    finally:
        proc.terminate()
        proc.wait()
        srv.close()
        os.unlink(path)
    alive = proc.returncode in (0, -15)
    check("the program served every connection and stopped cleanly on SIGTERM", alive,
          "exit status %s" % proc.returncode)
    tcp_allow_list(program, token, log)
    print("\n".join(results))


def tcp_allow_list(program, token, log):
    """On a TCP socket, FCGI_WEB_SERVER_ADDRS names the servers served."""
    for allowed, served in (("10.0.0.9, 127.0.0.2", False), ("10.0.0.9,127.0.0.1", True)):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        env = dict(os.environ, FCGI_WEB_SERVER_ADDRS=allowed)
        with open(log, "ab") as err:
            proc = subprocess.Popen([program], stdin=srv.fileno(), stdout=subprocess.DEVNULL,
                                    stderr=err, env=env)
        try:
            c = socket.create_connection(srv.getsockname(), timeout=10)
            try:
                # Closed unread, the connection may also end in a reset.
                c.sendall(request("GET", "/api/profile", token))
                out, _, _ = read_answer(c)
                got = status_of(out)
            except (EOFError, ConnectionResetError, BrokenPipeError):
                got = None
            c.close()
        finally:
            proc.terminate()
            proc.wait()
            srv.close()
        if served:
            check("FCGI_WEB_SERVER_ADDRS listing 127.0.0.1: a TCP connection from it is answered",
                  got == 200, got)
        else:
            check("FCGI_WEB_SERVER_ADDRS without 127.0.0.1: a TCP connection from it is closed unanswered",
                  got is None, got)


def connect(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(path)
    return c


def run(path, token):
    # A GET: its input (no body) is read to the end, so the program closes
    # at once instead of waiting for the server to close first.
    c = connect(path)
    c.sendall(request("GET", "/api/profile", token))
    out, app, proto = read_answer(c)
    check("GET answered 200 with the profile", status_of(out) == 200 and
          body_of(out)["profile"]["id"] == "auth0|user123", out[:200])
    check("FCGI_END_REQUEST says request complete", app == 0 and proto == 0, (app, proto))
    check("after a GET the connection ends", at_eof(c))
    check("after a GET the program has closed its socket (no lingering wait for the server)",
          closed_by_peer(c))
    c.close()

    # A body in three padded records, read to its end: stored, closed at once.
    name = "Record Split %d" % os.getpid()
    body = json.dumps({"name": name}).encode()
    c = connect(path)
    c.sendall(request("PUT", "/api/profile", token, body, chunks=3, padding=5))
    out, _, _ = read_answer(c)
    check("a body in three padded FCGI_STDIN records is read whole",
          status_of(out) == 200 and body_of(out)["profile"]["name"] == name, out[:300])
    check("after a body read to its end the program has closed its socket",
          at_eof(c) and closed_by_peer(c))
    c.close()

    # A body over the 64 KiB cap is refused unread: the program shuts down
    # its side and reads the rest before it closes, so the unread input
    # cannot reset the connection and lose the 413 answer.
    big = b"x" * 70000
    c = connect(path)
    c.sendall(request("PUT", "/api/profile", token, big))
    out, _, _ = read_answer(c)
    check("a body over the cap answers 413 JSON",
          status_of(out) == 413 and body_of(out)["error"] == "Payload too large", out[:300])
    check("over the cap the connection ends", at_eof(c))
    check("over the cap the program still reads (careful close): a write after the end succeeds",
          not closed_by_peer(c))
    c.close()

    # The server asks to keep the connection (FCGI_KEEP_CONN): two requests
    # on one connection, both answered, the connection left open between them.
    c = connect(path)
    answers = []
    for _ in range(2):
        c.sendall(request("GET", "/api/profile", token, flags=KEEP_CONN))
        answers.append(read_answer(c))
    check("FCGI_KEEP_CONN: two requests answered on one connection",
          [status_of(a[0]) for a in answers] == [200, 200], [a[0][:80] for a in answers])
    c.close()

    # FCGI_GET_VALUES: what the program says of itself (no multiplexing).
    c = connect(path)
    c.sendall(record(GET_VALUES, pair("FCGI_MPXS_CONNS", "") + pair("FCGI_MAX_REQS", ""), req_id=0))
    rtype, rid, content, _ = read_record(c)
    check("FCGI_GET_VALUES is answered: no multiplexing, one request at a time",
          rtype == GET_VALUES_RESULT and rid == 0 and
          content == pair("FCGI_MPXS_CONNS", "0") + pair("FCGI_MAX_REQS", "1"), (rtype, content))
    c.close()

    # A role other than responder is refused with FCGI_UNKNOWN_ROLE.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 2, 0)))
    rtype, _, content, _ = read_record(c)
    check("the authorizer role is refused with FCGI_UNKNOWN_ROLE",
          rtype == END and struct.unpack("!IB3x", content)[1] == 3, (rtype, content))
    c.close()

    # Parameters over 64 KiB (a 70 000-byte header, in two records): 431.
    c = connect(path)
    env = pair("REQUEST_METHOD", "GET") + pair("REQUEST_URI", "/api/profile") + pair("HTTP_X_BIG", "y" * 70000)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, env[:60000]) +
              record(PARAMS, env[60000:]) + record(PARAMS, b"") + record(STDIN, b""))
    out, _, _ = read_answer(c)
    check("parameters over 64 KiB answer 431 JSON",
          status_of(out) == 431 and body_of(out)["error"] == "Request header fields too large", out[:300])
    c.close()

    # A name-value pair whose length runs past the record: 400 JSON.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, b"\x0eREQUEST_METHOD") +
              record(PARAMS, b"") + record(STDIN, b""))
    out, _, _ = read_answer(c)
    check("a malformed parameter answers 400 JSON",
          status_of(out) == 400 and body_of(out)["error"] == "Bad request", out[:300])
    c.close()

    # FCGI_ABORT_REQUEST before the body: ended, nothing answered.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, pair("REQUEST_URI", "/")) +
              record(PARAMS, b"") + record(ABORT, b""))
    out, app, proto = read_answer(c)
    check("FCGI_ABORT_REQUEST ends the request without an answer", out == b"" and proto == 0, out[:200])
    c.close()

    # A connection on which nothing arrives is let go after 2 s (as libfcgi
    # does), so that it cannot hold the process.
    c = connect(path)
    t0 = time.monotonic()
    ended = at_eof(c)
    waited = time.monotonic() - t0
    check("a connection that sends nothing is closed after about 2 s",
          ended and 1.5 <= waited <= 6, "ended %s after %.1f s" % (ended, waited))
    c.close()

    # The program is free for the next connection right away.
    c = connect(path)
    c.sendall(request("GET", "/api/profile", token))
    out, _, _ = read_answer(c)
    check("the next connection is answered", status_of(out) == 200, out[:200])
    c.close()


main()
