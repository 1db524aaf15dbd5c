#!/bin/sh
# Installs what the hub needs on a fresh machine and is a no-op afterwards:
#   - npm packages (npm ci) when node_modules is missing or older than package-lock.json;
#   - on Debian/Ubuntu as root, the OS packages given as arguments when their command is missing
#     (redis-server for the hub; slapd and ldap-utils as well for the tests).
# Elsewhere it says exactly what to install and stops.
set -eu
cd "$(dirname "$0")/.."

missing=""
for pkg in "$@"; do
  case "$pkg" in
    redis-server) cmd=redis-server ;;
    slapd) cmd=/usr/sbin/slapd ;;
    ldap-utils) cmd=ldapsearch ;;
    *) cmd="$pkg" ;;
  esac
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then missing="$missing $pkg"; fi
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing OS packages:$missing" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "Missing OS packages:$missing" >&2
    echo "Install them, e.g. 'sudo apt-get install -y$missing' (Debian/Ubuntu) or 'brew install redis openldap' (macOS)." >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
