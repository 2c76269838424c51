import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPython } from '../util/python.js';

/** The Debian packages the sandbox needs (see scripts/install-system-deps.sh). */
export const SANDBOX_PACKAGES = ['bubblewrap', 'python3-seccomp', 'python3-sympy', 'python3-numpy'];

export const UNSAFE_HINT = 'for development only, `--unsafe-no-sandbox` runs model code without isolation';

const INSTALL_HINT =
  `install the Debian packages ${SANDBOX_PACKAGES.join(', ')} ` +
  `(\`sudo apt-get install ${SANDBOX_PACKAGES.join(' ')}\`, or \`npm run setup\`); ` +
  'for development only, `--unsafe-no-sandbox` runs model code without isolation';

/** Thrown when the sandbox cannot be set up; the message says what to install. Fail closed. */
export class SandboxUnavailableError extends Error {
  constructor(what: string, hint = INSTALL_HINT) {
    super(`Python sandbox unavailable: ${what}; ${hint}`);
    this.name = 'SandboxUnavailableError';
  }
}

/** Path of the fork server script (a plain file in the source tree; tsc does not copy it to dist/). */
export function serverScriptPath(): string {
  const candidates = [
    new URL('./python/server.py', import.meta.url), // running from the source tree
    new URL('../../../src/sandbox/python/server.py', import.meta.url), // dist/src/sandbox/*.js
  ];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new Error(`sandbox server script not found (looked at ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

export function findBwrap(): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of [...dirs, '/usr/bin', '/bin', '/usr/local/bin']) {
    const p = join(d, 'bwrap');
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

export interface PythonInfo {
  exe: string;
  /** Directories Python needs that lie outside /usr (they are bound read-only into the sandbox). */
  extraRoots: string[];
  seccomp: boolean;
  version: string;
}

const pythonInfoCache = new Map<string, PythonInfo>();

export function probePython(): PythonInfo {
  let exe: string;
  try {
    exe = findPython(['sympy', 'numpy']);
  } catch (e) {
    throw new SandboxUnavailableError((e as Error).message);
  }
  const hit = pythonInfoCache.get(exe);
  if (hit) return hit;
  const probe =
    'import sys, json, os\n' +
    'try:\n import seccomp; s = True\nexcept Exception: s = False\n' +
    'paths = [sys.prefix, sys.base_prefix, sys.exec_prefix] + [p for p in sys.path if p]\n' +
    'print(json.dumps({"exe": os.path.realpath(sys.executable), "paths": [os.path.realpath(p) for p in paths if os.path.exists(p)], "seccomp": s, "version": sys.version.split()[0]}))\n';
  const out = execFileSync(exe, ['-s', '-c', probe], { encoding: 'utf8', timeout: 60_000 });
  const j = JSON.parse(out) as { exe: string; paths: string[]; seccomp: boolean; version: string };
  const roots = new Set<string>();
  for (const p of [j.exe, ...j.paths]) {
    if (p === '/usr' || p.startsWith('/usr/')) continue;
    // Bind the top two levels (e.g. /opt/python) rather than every sys.path entry.
    const parts = p.split('/').filter(Boolean);
    if (parts.length === 0) continue;
    roots.add('/' + parts.slice(0, Math.min(2, parts.length)).join('/'));
  }
  const info: PythonInfo = { exe: j.exe, extraRoots: [...roots], seccomp: j.seccomp, version: j.version };
  pythonInfoCache.set(exe, info);
  return info;
}

export interface HostUser {
  uid: number;
  gid: number;
  name: string;
}

/**
 * The unprivileged host user the sandbox runs as. As root we drop to `nobody` (RLIMIT_NPROC is not
 * enforced for root); as anyone else we stay who we are.
 */
export function sandboxUser(name = 'nobody'): HostUser | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  let uid = 65534;
  let gid = 65534;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) {
        uid = Number(f[2]);
        gid = Number(f[3]);
        break;
      }
    }
  } catch {
    /* fall back to 65534 */
  }
  if (uid === 0) throw new Error(`sandbox user ${name} is root`);
  return { uid, gid, name };
}

const bwrapHelp = new Map<string, string>();

export interface BwrapOptions {
  bwrap: string;
  python: PythonInfo;
  serverSource: string;
  serverConfig: Record<string, unknown>;
  env: Record<string, string>;
  tmpfsBytes: number;
}

/** The bubblewrap command line for one fork server. */
export function bwrapArgs(o: BwrapOptions): string[] {
  let help = bwrapHelp.get(o.bwrap);
  if (help === undefined) {
    try {
      help = execFileSync(o.bwrap, ['--help'], { encoding: 'utf8', timeout: 10_000 });
    } catch (e) {
      help = String((e as { stdout?: string }).stdout ?? '');
    }
    bwrapHelp.set(o.bwrap, help);
  }
  if (!help.includes('--as-pid-1')) {
    throw new SandboxUnavailableError(`${o.bwrap} is too old (bubblewrap >= 0.8 is needed for --as-pid-1)`);
  }
  // --as-pid-1: the fork server itself is pid 1 of the namespace (non-dumpable, filtered), not a
  // bwrap init that a program could inject code into; when it dies the kernel kills every process of
  // the namespace. The server makes its own nested user + mount namespace for a bounded /tmp and
  // forbids further user namespaces there (server.py private_tmp), so no --disable-userns here.
  const a: string[] = ['--unshare-all', '--unshare-user', '--as-pid-1', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  a.push('--hostname', 'sandbox');
  a.push('--ro-bind', '/usr', '/usr');
  // Debian's merged /usr: /bin, /lib, ... are symlinks into /usr; older layouts are directories.
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = '/' + name;
    let st;
    try {
      st = lstatSync(host);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) a.push('--symlink', readlinkSync(host), host);
    else if (st.isDirectory()) a.push('--ro-bind', host, host);
  }
  // numpy finds its BLAS through /etc/alternatives; the dynamic linker wants its cache.
  for (const f of ['/etc/alternatives', '/etc/ld.so.cache', '/etc/localtime']) a.push('--ro-bind-try', f, f);
  for (const r of o.python.extraRoots) a.push('--ro-bind', r, r);
  a.push('--proc', '/proc');
  a.push('--dev', '/dev', '--remount-ro', '/dev'); // else /dev/shm stays writable
  a.push('--size', String(o.tmpfsBytes), '--tmpfs', '/tmp');
  a.push('--remount-ro', '/');
  a.push('--chdir', '/tmp');
  a.push('--clearenv');
  for (const [k, v] of Object.entries(o.env)) a.push('--setenv', k, v);
  a.push('--', o.python.exe, '-s', '-c', o.serverSource, JSON.stringify(o.serverConfig));
  return a;
}

/** The whitelisted environment of the Python server and its children. */
export function sandboxEnv(tmp: string): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TMPDIR: tmp,
    PYTHONHASHSEED: '0',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONNOUSERSITE: '1',
    PYTHONIOENCODING: 'utf-8',
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    NUMEXPR_NUM_THREADS: '1',
  };
}

/**
 * Checks what the sandbox needs before any worker starts and throws SandboxUnavailableError with
 * an actionable message otherwise.
 */
export function checkSandboxSupport(bwrapPath?: string): { bwrap: string; python: PythonInfo } {
  const bwrap = bwrapPath ? (existsSync(bwrapPath) ? bwrapPath : null) : findBwrap();
  if (!bwrap) throw new SandboxUnavailableError(`bubblewrap (\`${bwrapPath ?? 'bwrap'}\`) is not installed`);
  const python = probePython();
  if (!python.seccomp) {
    throw new SandboxUnavailableError(`${python.exe} cannot import the \`seccomp\` module (Debian package python3-seccomp)`);
  }
  return { bwrap, python };
}
