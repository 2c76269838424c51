import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `rstar` launcher (bin/rstar.js over the compiled CLI). */
export function rstar(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), ...args], {
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, ...opts.env },
    cwd: REPO_ROOT,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const DEFAULT_BUNDLE = join(REPO_ROOT, 'models', 'default');
