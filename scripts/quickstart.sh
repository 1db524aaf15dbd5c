#!/bin/sh
# `npm start`: the hub on the embedded default (PostgreSQL from npm, a local redis-server, a demo tenant).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${REDIS_URL:-}" ]; then sh scripts/ensure-prerequisites.sh redis-server; else sh scripts/ensure-prerequisites.sh; fi
node scripts/build.js
# V8 flags every hub process runs with: libs/config/src/node-flags.ts (ADR 0007).
exec node --max-semi-space-size=64 dist/apps/standalone/src/main.js
