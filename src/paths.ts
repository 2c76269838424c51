import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (this file compiles to dist/src/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The model bundle shipped in the package (models/default), or $RSTAR_BUNDLE when set. */
export const DEFAULT_BUNDLE = process.env.RSTAR_BUNDLE ?? join(PACKAGE_ROOT, 'models', 'default');
