import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root (tests compile to dist/test/, two levels below it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The read-only shared data folder beside the checkout. */
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const RSTAR_EVAL = join(SHARED, 'data', 'rstar-eval');
