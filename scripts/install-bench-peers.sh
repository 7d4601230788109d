#!/usr/bin/env bash
# Installs the optional peers of `npm run bench:http` (bench/http.ts): Apache httpd with
# mod_auth_gssapi, measured against authso's HTTP authenticator with the same keytab (Debian
# packages; see docs/benchmarks-http.md). Opt-in: not part of scripts/install-peers.sh, so the
# tests' set-up stays short. Idempotent: does nothing when everything is already there. Needs
# root (or sudo) the first time on a fresh machine.
set -euo pipefail

need=()
[ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -f /usr/lib/apache2/modules/mod_auth_gssapi.so ] || need+=(libapache2-mod-auth-gssapi)

[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-bench-peers: need root to install: ${need[*]}" >&2
    exit 1
  fi
fi
echo "install-bench-peers: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
