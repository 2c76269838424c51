import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `start` holding a package.json (dist/ has none, so this is the checkout). */
function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/** Repository root, whether this file runs compiled (dist/test/helpers/) or from source through tsx (test/helpers/). */
export const REPO_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
/** The read-only shared data folder beside the checkout. */
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const RSTAR_EVAL = join(SHARED, 'data', 'rstar-eval');
