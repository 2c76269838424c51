#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (also run by `npm ci` via prepare).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('rstar: the CLI is not built yet; run `npm ci` (or `npm run build`) in the project root first');
  process.exit(2);
}

// onnxruntime-node parses /proc/self/cmdline recursively when it creates a session: a command line of
// ~30k bytes or more (one long question, or many arguments together) overflows the native stack and the
// process dies with SIGSEGV and no message. Rewriting process.argv or process.title does not help (the
// kernel still reports the original argument area), so a long command line is moved out of argv: the
// arguments go to a private temp file and the launcher re-executes itself with a short command line.
const ARGV_FILE_ENV = 'RSTAR_ARGV_FILE';
const SAFE_CMDLINE_BYTES = 8192; // crashes measured from ~31000 bytes on an 8 MiB stack
const cmdlineBytes = (args) => args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);

const argvFile = process.env[ARGV_FILE_ENV];
if (argvFile) {
  delete process.env[ARGV_FILE_ENV];
  const args = JSON.parse(readFileSync(argvFile, 'utf8'));
  rmSync(dirname(argvFile), { recursive: true, force: true });
  process.argv = [process.argv[0], process.argv[1], ...args];
  await import(entry.href);
} else if (cmdlineBytes([process.execPath, ...process.execArgv, ...process.argv.slice(1)]) > SAFE_CMDLINE_BYTES) {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-argv-'));
  const file = join(dir, 'argv.json');
  writeFileSync(file, JSON.stringify(process.argv.slice(2)), { mode: 0o600 });
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, [ARGV_FILE_ENV]: file },
  });
  const forward = (sig) => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward);
  child.on('error', (e) => {
    rmSync(dir, { recursive: true, force: true });
    console.error(`rstar: cannot re-execute with the long arguments moved to a file: ${e.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    rmSync(dir, { recursive: true, force: true });
    if (signal) {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(sig, forward);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  await import(entry.href);
}
