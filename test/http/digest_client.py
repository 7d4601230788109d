#!/usr/bin/python3
"""python-requests HTTPDigestAuth client for test/http/digest.test.ts.

usage: digest_client.py URL USER PASSWORD HOST:IP [SECONDS]

Prints the status, then the Authentication-Info header (or '-'), then the body. With SECONDS,
waits that long and GETs the URL again in the same session (requests then sends the old
nonce with nc=2 unasked, meets stale=true, and retries) and prints that status last.
"""
import time
import socket
import sys

import requests
from requests.auth import HTTPDigestAuth


def main() -> int:
    url, user, password, resolve = sys.argv[1:5]
    host, ip = resolve.split(":")
    real = socket.getaddrinfo

    def getaddrinfo(h, *rest, **kw):
        return real(ip if h == host else h, *rest, **kw)

    socket.getaddrinfo = getaddrinfo
    with requests.Session() as s:
        s.auth = HTTPDigestAuth(user, password)
        r = s.get(url, timeout=20)
        print(r.status_code)
        print(r.headers.get("Authentication-Info", "-"))
        print(r.text)
        if len(sys.argv) > 5:
            time.sleep(float(sys.argv[5]))
            print(s.get(url, timeout=20).status_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
