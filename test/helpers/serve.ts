import { spawnServe, type ServeProcess } from '../../src/serve/spawn.js';

export type { ServeProcess };

/** Starts a real `rstar serve` process on a free loopback port, serving under `modelName`. */
export function startServe(modelName: string, args: string[] = []): Promise<ServeProcess> {
  return spawnServe(['--model-name', modelName, '--threads', '1', ...args]);
}
