#!/usr/bin/env python3
"""The FastCGI connection itself, spoken by hand to programs started the
way lighttpd and spawn-fcgi start them (fd 0 = their listening Unix socket),
served by libfcgi through the adapter (lib/http/fcgi.c): how a connection is
closed, bodies in several records, FCGI_KEEP_CONN, the protocol's other
records, the caps, the deadline and the idle and write bounds
(MCPAUTH_REQUEST_TIMEOUT, 4 s here), FCGI_WEB_SERVER_ADDRS.
    fcgi_client.py BINDIR TOKEN ADMIN_TOKEN LOG
        (MCPAUTH_* settings from the environment; the programs' stderr goes to LOG)
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
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def answered_or_closed(sock):
    """The first record back, or None when the connection ends unanswered."""
    try:
        return read_record(sock)
    except (EOFError, ConnectionResetError):
        return None
    except socket.timeout:
        return ("timed out",)


results = []


def check(name, cond, detail=""):
    results.append("ok " + name if cond else "not ok %s: %s" % (name, detail))



def log_count(log, text):
    with open(log, "rb") as f:
        return f.read().decode(errors="replace").count(text)


def start(program, path, log):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    with open(log, "ab") as err:
        proc = subprocess.Popen([program], stdin=srv.fileno(), stdout=subprocess.DEVNULL, stderr=err)
    return srv, proc


def stop(srv, proc, path):
    proc.terminate()
    proc.wait()
    srv.close()
    os.unlink(path)
    return proc.returncode in (0, -15)


def main():
    bindir, token, admin, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    path = tempfile.mktemp(prefix="mcpauth-fcgi-", suffix=".sock")
    srv, proc = start(os.path.join(bindir, "profile"), path, log)
    try:
        run(path, token, log, proc)
    finally:
        alive = stop(srv, proc, path)
    check("the program served every connection and stopped cleanly on SIGTERM", alive,
          "exit status %s" % proc.returncode)
    srv, proc = start(os.path.join(bindir, "admin"), path, log)
    try:
        unread_answer(path, admin, log)
    finally:
        stop(srv, proc, path)
    tcp_allow_list(os.path.join(bindir, "profile"), token, log)
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


def next_answered(path, token, what):
    c = connect(path)
    c.sendall(request("GET", "/api/profile", token))
    try:
        out, _, _ = read_answer(c)
        good = status_of(out) == 200
    except (EOFError, ConnectionResetError, socket.timeout) as e:
        good, out = False, repr(e).encode()
    check("after %s the next connection is answered" % what, good, out[:200])
    c.close()


def trickle(c, data, gap):
    """Sends data a byte at a time, gap seconds apart, until the program
    closes the connection; returns the seconds that took."""
    t0 = time.monotonic()
    try:
        for b in data:
            c.sendall(bytes([b]))
            time.sleep(gap)
            if time.monotonic() - t0 > 15:
                break
        c.settimeout(10)
        c.recv(1)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    return time.monotonic() - t0


def read_answer_after(sock, data):
    """read_answer, starting with bytes already received."""
    out = b""
    while True:
        rtype, _, content, data = read_record(sock, data)
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            app, proto = struct.unpack("!IB3x", content)
            return out, app, proto


def run(path, token, log, proc):
    # A GET: its input (no body) is read to the end, so the program closes
    # at once (FCGX_Detach) instead of waiting for the server to close first.
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

    # A body over the 64 KiB cap is refused unread: libfcgi's careful close
    # (shut down its side, read the rest) keeps the unread input from
    # resetting the connection and losing the 413 answer.
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

    # The same body with a CONTENT_LENGTH that understates it: refused once
    # what arrived is over the cap.
    c = connect(path)
    c.sendall(request("PUT", "/api/profile", token, big, content_length=20))
    out, _, _ = read_answer(c)
    check("a body over the cap that CONTENT_LENGTH understates answers 413 JSON",
          status_of(out) == 413, out[:300])
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
    # Then idle: let go after the bound (4 s here).
    t0 = time.monotonic()
    ended = at_eof(c)
    waited = time.monotonic() - t0
    check("an idle kept connection is closed after the idle bound (4 s)",
          ended and 3.5 <= waited <= 9, "ended %s after %.1f s" % (ended, waited))
    c.close()

    # FCGI_GET_VALUES, answered by libfcgi as it reads on (a request follows).
    c = connect(path)
    c.sendall(record(GET_VALUES, pair("FCGI_MPXS_CONNS", "") + pair("FCGI_MAX_REQS", ""), req_id=0) +
              request("GET", "/api/profile", token))
    rtype, rid, content, _ = read_record(c)
    check("FCGI_GET_VALUES is answered: no multiplexing, one request at a time",
          rtype == GET_VALUES_RESULT and rid == 0 and
          content == pair("FCGI_MPXS_CONNS", "0") + pair("FCGI_MAX_REQS", "1"), (rtype, content))
    c.close()

    # A 64 000-byte query of names libfcgi does not know, then the three it
    # does: one answer, a well-formed record with the three values.
    known = pair("FCGI_MAX_CONNS", "") + pair("FCGI_MAX_REQS", "") + pair("FCGI_MPXS_CONNS", "")
    query = b""
    i = 0
    while len(query) + len(known) < 64000 - 20:
        query += pair("X_UNKNOWN_%06d" % i, "")
        i += 1
    query += pair("X_PAD", "p" * (64000 - len(query) - len(known) - 7)) + known
    c = connect(path)
    c.sendall(record(GET_VALUES, query, req_id=0) + request("GET", "/api/profile", token))
    try:
        rtype, rid, content, rest = read_record(c)
        out, _, _ = read_answer_after(c, rest)
    except (EOFError, ConnectionResetError, socket.timeout) as e:
        rtype, content, out = None, b"", repr(e).encode()
    check("a %d-byte FCGI_GET_VALUES query gets one well-formed record with the three values, "
          "then the request its answer" % len(query),
          len(query) == 64000 and rtype == GET_VALUES_RESULT and
          content == pair("FCGI_MAX_CONNS", "1") + pair("FCGI_MAX_REQS", "1") + pair("FCGI_MPXS_CONNS", "0") and
          status_of(out) == 200, (len(query), rtype, content[:80], out[:80]))
    c.close()

    # The same size naming one known value 4 266 times: libfcgi 2.4.2
    # writes each answer line into a 64-byte stack buffer and the process
    # dies; the adapter drops the connection before libfcgi reads it.
    before = log_count(log, "more than three values")
    query = b"".join(pair("FCGI_MAX_REQS", "") for _ in range(64000 // 15)) + pair("X", "y" * 7)
    c = connect(path)
    c.sendall(record(GET_VALUES, query, req_id=0) + request("GET", "/api/profile", token))
    got = answered_or_closed(c)
    c.close()
    time.sleep(0.2)
    check("a %d-byte FCGI_GET_VALUES query naming a value %d times: closed unanswered, "
          "the process alive, one log line" % (len(query), 64000 // 15),
          got is None and proc.poll() is None and log_count(log, "more than three values") == before + 1,
          (got and got[:2], proc.poll()))
    next_answered(path, token, "the overflowing query")

    # Any other management record: libfcgi 2.4.2 leaks 48 bytes on each
    # (and reads the content of one as the request's input); closed.
    before = log_count(log, "other than FCGI_GET_VALUES")
    c = connect(path)
    c.sendall(record(12, b"", req_id=0) * 1000 + request("GET", "/api/profile", token))
    got = answered_or_closed(c)
    c.close()
    time.sleep(0.2)
    check("a management record other than FCGI_GET_VALUES: closed unanswered, one log line",
          got is None and log_count(log, "other than FCGI_GET_VALUES") == before + 1, got and got[:2])

    # A role other than responder: libfcgi answers none with
    # FCGI_UNKNOWN_ROLE; the adapter closes the connection.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 2, 0)) + record(PARAMS, b"") + record(STDIN, b""))
    check("the authorizer role is closed unanswered", answered_or_closed(c) is None)
    c.close()

    # Parameters over 64 KiB (a 70 000-byte header, in two records): the
    # connection is dropped before libfcgi reads them.
    before = log_count(log, "over 64 KiB; connection dropped")
    c = connect(path)
    env = pair("REQUEST_METHOD", "GET") + pair("REQUEST_URI", "/api/profile") + pair("HTTP_X_BIG", "y" * 70000)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, env[:60000]) +
              record(PARAMS, env[60000:]) + record(PARAMS, b"") + record(STDIN, b""))
    got = answered_or_closed(c)
    c.close()
    time.sleep(0.2)
    check("parameters over 64 KiB: closed unanswered before libfcgi reads them, one log line",
          got is None and log_count(log, "over 64 KiB; connection dropped") == before + 1, got and got[:2])

    # A NUL inside a parameter the request reads: 400 JSON.
    c = connect(path)
    env = pair("REQUEST_METHOD", "GET") + pair("REQUEST_URI", "/api/profile\0/admin")
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, env) +
              record(PARAMS, b"") + record(STDIN, b""))
    out, _, _ = read_answer(c)
    check("a NUL inside a parameter read answers 400 JSON",
          status_of(out) == 400 and body_of(out)["error"] == "Bad request", out[:300])
    c.close()

    # A name-value pair whose length runs past the parameters: libfcgi
    # would give up on the connection; the adapter closes it first.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, b"\x0eREQUEST_METHOD") +
              record(PARAMS, b"") + record(STDIN, b""))
    check("a malformed parameter pair: closed unanswered", answered_or_closed(c) is None)
    c.close()

    # FCGI_ABORT_REQUEST before the body: a protocol error to libfcgi; the
    # request ends unanswered.
    c = connect(path)
    c.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, pair("REQUEST_URI", "/")) +
              record(PARAMS, b"") + record(ABORT, b""))
    check("FCGI_ABORT_REQUEST ends the request without an answer", answered_or_closed(c) is None)
    c.close()

    # A new connection on which nothing arrives is let go after 2 s, as
    # libfcgi's own accept does, well before the 4 s bound.
    c = connect(path)
    t0 = time.monotonic()
    ended = at_eof(c)
    waited = time.monotonic() - t0
    check("a new connection that sends nothing is closed after about 2 s",
          ended and 1.5 <= waited < 3.5, "ended %s after %.1f s" % (ended, waited))
    c.close()

    # Parameters trickled a byte every 0.2 s: each read is quick, but the
    # whole request is over its 4 s deadline: dropped, logged once.
    before = log_count(log, "did not arrive within")
    c = connect(path)
    took = trickle(c, request("GET", "/api/profile", token), 0.2)
    c.close()
    time.sleep(0.2)
    check("parameters trickled a byte every 0.2 s: dropped at the 4 s deadline, logged once",
          3.5 <= took <= 9 and log_count(log, "did not arrive within") == before + 1,
          "after %.1f s, %d log lines" % (took, log_count(log, "did not arrive within") - before))

    # A body trickled the same way, after parameters sent whole.
    req = request("PUT", "/api/profile", token, json.dumps({"name": "Slow " + "x" * 60}).encode())
    cut = req.index(record(PARAMS, b"")) + 8
    c = connect(path)
    c.sendall(req[:cut])
    took = trickle(c, req[cut:], 0.2)
    c.close()
    time.sleep(0.2)
    check("a body trickled a byte every 0.2 s: dropped at the 4 s deadline, logged once",
          3.5 <= took <= 9 and log_count(log, "did not arrive within") == before + 2,
          "after %.1f s, %d log lines" % (took, log_count(log, "did not arrive within") - before))
    next_answered(path, token, "the trickled requests")


def unread_answer(path, admin, log):
    """A server that never reads the answer: GET /api/users (thousands of
    users, far more than the socket holds) is written until a write has
    blocked 4 s; the connection is dropped, logged once, and the program
    serves on."""
    before = log_count(log, "was not taken within")
    c = connect(path)
    t0 = time.monotonic()
    c.sendall(request("GET", "/api/users", admin))
    while log_count(log, "was not taken within") == before and time.monotonic() - t0 < 12:
        time.sleep(0.1)
    took = time.monotonic() - t0
    time.sleep(0.5)
    c.close()
    check("an answer never read: dropped after a write blocked 4 s, logged once",
          3.5 <= took <= 10 and log_count(log, "was not taken within") == before + 1,
          "after %.1f s, %d log lines" % (took, log_count(log, "was not taken within") - before))
    c = connect(path)
    c.sendall(request("GET", "/api/profile", admin))
    try:
        status = status_of(read_answer(c)[0])
    except (EOFError, ConnectionResetError, socket.timeout) as e:
        status = repr(e)
    check("after the unread answer the admin program answers the next connection", status != 0, status)
    c.close()


main()
