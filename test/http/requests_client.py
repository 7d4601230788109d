#!/usr/bin/python3
"""python-requests client for the authso HTTP tests (test/http/python-requests.test.ts).

usage: requests_client.py kerberos|ntlm URL [USER PASSWORD] [--resolve HOST:IP] [--insecure]

--insecure: do not verify the https server's certificate (a test's self-signed one); the
clients still send TLS channel bindings of it (requests-kerberos and requests-ntlm send_cbt).

Prints the HTTP status on the first line and the body after it. requests has no --resolve,
so the test host name is mapped to the loopback address by wrapping socket.getaddrinfo.
"""
import socket
import sys

import requests


def main() -> int:
    args = sys.argv[1:]
    resolve = {}
    if "--resolve" in args:
        i = args.index("--resolve")
        host, ip = args[i + 1].split(":")
        resolve[host] = ip
        del args[i : i + 2]
    verify = True
    if "--insecure" in args:
        verify = False
        args.remove("--insecure")
        import urllib3

        urllib3.disable_warnings()
    mode, url = args[0], args[1]
    real = socket.getaddrinfo

    def getaddrinfo(host, *rest, **kw):
        return real(resolve.get(host, host), *rest, **kw)

    socket.getaddrinfo = getaddrinfo
    if mode == "kerberos":
        from requests_kerberos import HTTPKerberosAuth, REQUIRED

        # REQUIRED: the client checks the server's AP-REP (RFC 4559 mutual authentication).
        auth = HTTPKerberosAuth(mutual_authentication=REQUIRED)
    elif mode == "ntlm":
        from requests_ntlm import HttpNtlmAuth

        auth = HttpNtlmAuth(args[2], args[3])
    else:
        print("unknown mode", mode, file=sys.stderr)
        return 2
    with requests.Session() as s:
        r = s.get(url, auth=auth, timeout=20, verify=verify)
        print(r.status_code)
        print(r.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
