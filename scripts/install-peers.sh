#!/usr/bin/env bash
# Installs the real peers the interop tests drive (Debian packages; see docs/testing.md).
# Idempotent: does nothing when every command is already there. Needs root (or sudo) the
# first time on a fresh machine.
set -euo pipefail

need=()
command -v kinit >/dev/null 2>&1 || need+=(krb5-user)
command -v krb5kdc >/dev/null 2>&1 || [ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
command -v kdb5_util >/dev/null 2>&1 || [ -x /usr/sbin/kdb5_util ] || need+=(krb5-admin-server)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
/usr/bin/python3 -c 'import impacket' >/dev/null 2>&1 || need+=(python3-impacket)
/usr/bin/python3 -c 'import gssapi' >/dev/null 2>&1 || need+=(python3-gssapi)
/usr/bin/python3 -c 'import requests_kerberos' >/dev/null 2>&1 || need+=(python3-requests-kerberos)
/usr/bin/python3 -c 'import requests_ntlm' >/dev/null 2>&1 || need+=(python3-requests-ntlm)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
ls /usr/lib/*/gssntlmssp/gssntlmssp.so >/dev/null 2>&1 || need+=(gss-ntlmssp)
# Headless Chromium for test/http/chromium.test.ts (driven by npm playwright-core, never a
# downloaded browser build). fonts-liberation is only a Recommends of chromium-common.
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)
[ -f /usr/include/krb5.h ] && command -v cc >/dev/null 2>&1 || need+=(libkrb5-dev gcc libc6-dev)

[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-peers: need root to install: ${need[*]}" >&2
    exit 1
  fi
fi
echo "install-peers: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
