#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with swc (path aliases rewritten to relative requires).
// Type checking is separate (`npm run typecheck`), so a build takes about a second.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const swc = path.join(root, 'node_modules', '@swc', 'cli', 'bin', 'swc.js');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    swc,
    'apps',
    'libs',
    'bench',
    '-d',
    'dist',
    '--config-file',
    '.swcrc',
    '--copy-files',
    '--ignore',
    '**/*.spec.ts',
    '--quiet',
  ],
  { cwd: root, stdio: 'inherit' },
);
