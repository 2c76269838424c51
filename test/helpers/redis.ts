import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A loopback port nobody listens on (just now). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGKILLs the server (what it acknowledged is in its append-only file). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (it reloads the append-only file). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real redis-server on a free loopback port, in a temp dir, append-only file on and fsynced on every
 * write (so a SIGKILL loses nothing acknowledged), no RDB snapshots. Throws when redis-server is not
 * installed: the queue tests must fail, not skip (scripts/install-system-deps.sh installs it).
 */
export async function startRedis(): Promise<TestRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) throw new Error('redis-server is not installed (bash scripts/install-system-deps.sh installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'rstar-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = () =>
    new Promise<void>((res, rej) => {
      const c = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      let out = '';
      const timer = setTimeout(() => rej(new Error(`redis-server did not start on port ${port}: ${out}`)), 15_000);
      c.stdout!.on('data', (d) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          res();
        }
      });
      c.on('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill(signal);
    });
    child = null;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}/0`, dir, kill: () => kill('SIGKILL'), restart: start, stop: () => kill('SIGTERM') };
}
