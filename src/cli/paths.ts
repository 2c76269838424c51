import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (the CLI compiles to dist/src/cli/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_BUNDLE = process.env.RSTAR_BUNDLE ?? join(PACKAGE_ROOT, 'models', 'default');
