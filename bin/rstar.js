#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (also run by `npm ci` via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('rstar: the CLI is not built yet; run `npm ci` (or `npm run build`) in the project root first');
  process.exit(2);
}
await import(entry.href);
