import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts a real `rstar serve` process on a free loopback port, serving under `modelName`. */
export async function startServe(modelName: string, args: string[] = []): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), 'serve', '--port', '0', '--json', '--model-name', modelName, '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
