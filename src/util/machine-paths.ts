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
