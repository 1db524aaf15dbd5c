#!/bin/sh
# `npm test`: type check, lint, then every jest project (unit, integration, e2e) against real
# PostgreSQL, Redis and OpenLDAP started by the test harness on loopback.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-prerequisites.sh redis-server slapd ldap-utils
npx tsc -p tsconfig.json --noEmit
npx eslint --max-warnings 0 .
npx prettier --check . >/dev/null || { echo "prettier: files need formatting (npm run format)" >&2; npx prettier --list-different .; exit 1; }
exec npx jest --ci "$@"
