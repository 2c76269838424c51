import { execFileSync } from 'node:child_process';

/**
 * Finds a Python interpreter that can import every module in `modules`. `RSTAR_PYTHON` wins when set
 * (and is still checked). On Debian the `python3` on PATH may be a pyenv build that cannot see the
 * apt-installed torch/sympy/numpy, so /usr/bin/python3 is probed too.
 */
const cache = new Map<string, string>();

export function findPython(modules: string[] = []): string {
  const key = modules.join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const override = process.env.RSTAR_PYTHON;
  const candidates = override ? [override] : ['/usr/bin/python3', 'python3', '/usr/local/bin/python3', 'python'];
  const tried: string[] = [];
  for (const exe of candidates) {
    const probe = modules.map((m) => `import ${m}`).join('; ') || 'pass';
    try {
      execFileSync(exe, ['-c', probe], { stdio: 'ignore', timeout: 60_000 });
      cache.set(key, exe);
      return exe;
    } catch {
      tried.push(exe);
    }
  }
  const what = modules.length ? ` that can import ${modules.join(', ')}` : '';
  throw new Error(
    `no Python interpreter${what} was found (tried ${tried.join(', ')}); ` +
      (override ? 'check RSTAR_PYTHON' : 'run `npm run setup` (installs python3-torch, python3-sympy, python3-numpy) or set RSTAR_PYTHON'),
  );
}
