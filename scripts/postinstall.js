#!/usr/bin/env node
// Generates the Prisma client after every install, through the project's own schema-engine
// stand-in (prisma.config.ts), so nothing is downloaded from Prisma's binaries host.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prismaCli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
if (!fs.existsSync(prismaCli) || !fs.existsSync(path.join(root, 'prisma', 'schema.prisma'))) {
  // Production installs (npm ci --omit=dev) ship the generated client inside dist/.
  process.exit(0);
}
execFileSync(process.execPath, [prismaCli, 'generate'], { cwd: root, stdio: 'inherit' });
