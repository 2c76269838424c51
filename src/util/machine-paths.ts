import { basename, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Absolute paths of a particular machine (a home, work or temp directory) in text: what committed
 * files must not hold. System paths that are the same everywhere (`/usr/bin/python3`), URL paths
 * (`https://host/tmp/x`) and relative paths (`runs/ev/tmp`) are not machine paths.
 */
const UNIX = /(?<![\w.~:/\\-])\/(?:root|home|Users|work|workspace|tmp|mnt|private\/var|var\/folders|var\/tmp)(?:\/|(?=["'`\s)\]]|$))/;
const WINDOWS = /(?<![\w])[A-Za-z]:(?:\\{1,2}|\/)(?:Users|Documents and Settings|Windows|ProgramData|Program Files|work|tmp|temp)\b/i;
const FILE_URL = /file:\/\/\//;

/** The first machine path in `line`, or null. */
export function machinePath(line: string): string | null {
  for (const re of [UNIX, WINDOWS, FILE_URL]) {
    const m = re.exec(line);
    if (m) return line.slice(m.index, m.index + 60).split(/["'`\s)]/)[0];
  }
  return null;
}

/**
 * How a manifest records a file or directory: relative to `root` (the repository) when it lies
 * inside it, else its name alone (the sha256 recorded beside it identifies it).
 */
export function portablePath(path: string, root: string): string {
  const rel = relative(root, resolve(path));
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? basename(resolve(path)) : rel.split(sep).join('/');
}
