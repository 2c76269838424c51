import { isAbsolute, relative } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import type { Bundle } from '../src/models/bundle.js';

/**
 * What a benchmark's JSON says about the bundle it ran: its repo-relative directory (the directory
 * name alone when it lies outside the repo: no absolute paths of this machine), its manifest name and
 * the sha256 of its ONNX files.
 */
export function bundleInfo(dir: string, bundle: Bundle): { bundle: string; bundleName: string; policySha256: string | null; ppmSha256: string | null } {
  const rel = relative(PACKAGE_ROOT, dir);
  return {
    bundle: rel.startsWith('..') || isAbsolute(rel) ? dir.split(/[\\/]/).filter(Boolean).pop()! : rel,
    bundleName: bundle.manifest.name,
    policySha256: bundle.manifest.policy?.sha256 ?? null,
    ppmSha256: bundle.manifest.ppm?.sha256 ?? null,
  };
}
