import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  /** What the process wrote to stderr so far. */
  stderr: () => string;
}

const RSTAR_BIN = fileURLToPath(new URL('../../../bin/rstar.js', import.meta.url));

/**
 * Starts `rstar serve --port 0 --json ARGS` as a child process and resolves with its base URL once
 * it prints its listening line (rejects, with its stderr, if it exits first). For tests and benches.
 */
export async function spawnServe(args: string[]): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [RSTAR_BIN, 'serve', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line).url);
    });
    proc.once('exit', (c) => reject(new Error(`rstar serve exited ${c}: ${err}`)));
  });
  return { proc, url, stderr: () => err };
}
