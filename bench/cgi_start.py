#!/usr/bin/env python3
"""A program's start as plain CGI: from spawning it with one request in its
environment (as a CGI server does) to its exit with the answer read. Prints
the median of N runs in ms.
    cgi_start.py PROGRAM TOKEN URI [N]   (MCPAUTH_* settings from the environment)"""
import os, subprocess, sys, time


def once(program, env):
    t0 = time.perf_counter()
    proc = subprocess.run([program], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if not proc.stdout.startswith(b"Status: 200 OK"):
        sys.exit("no 200 answer: %r" % proc.stdout[:300])
    return (t1 - t0) * 1000


program, token, uri = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 21
env = {k: v for k, v in os.environ.items() if k.startswith(("MCPAUTH_", "AUTH0_"))}
env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "REQUEST_URI": uri,
            "HTTP_AUTHORIZATION": "Bearer " + token, "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"})
times = sorted(once(program, env) for _ in range(n))
print("%.1f" % times[len(times) // 2])
