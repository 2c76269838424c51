import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: compiled, this file is dist/src/paths.js (two levels below it); run from source
 * (the unit tests, through tsx) it is src/paths.ts (one level). dist/ holds no package.json.
 */
export const PACKAGE_ROOT =
  ['../', '../../'].map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((dir) => existsSync(join(dir, 'package.json'))) ??
  fileURLToPath(new URL('../../', import.meta.url));
/** The model bundle shipped in the package (models/default), or $RSTAR_BUNDLE when set. */
export const DEFAULT_BUNDLE = process.env.RSTAR_BUNDLE ?? join(PACKAGE_ROOT, 'models', 'default');
