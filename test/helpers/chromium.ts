/**
 * Debian's chromium (installed by scripts/install-system-deps.sh) driven by playwright-core, which
 * downloads no browser of its own. RSTAR_CHROMIUM names another binary.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

export function findChromium(): string {
  const candidates = [process.env.RSTAR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
  for (const p of candidates) if (existsSync(p)) return p;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  throw new Error("no chromium found (scripts/install-system-deps.sh installs Debian's chromium; RSTAR_CHROMIUM names another)");
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root in CI, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath: findChromium(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
