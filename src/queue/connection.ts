/**
 * The `--queue redis://…` URL and the Redis connections of the distributed path: a quick reachability
 * probe with a short timeout and no retries (so a wrong URL or a stopped Redis is one clear error, not
 * a storm of reconnect warnings), then long-lived connections that ride out a Redis restart.
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';

export interface QueueUrl {
  /** The URL as given, with any password replaced by `***` (safe to print). */
  display: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** Parses `redis://[user:pass@]host[:port][/db]` (or `rediss://` for TLS). Throws with a one-line message. */
export function parseQueueUrl(s: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    throw new Error(`--queue ${s}: not a URL (expected redis://host:6379/0)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue ${s}: expected a redis:// or rediss:// URL, got ${u.protocol}//`);
  if (!u.hostname) throw new Error(`--queue ${s}: no host (expected redis://host:6379/0)`);
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new Error(`--queue ${s}: the path must be a database number, got "/${path}"`);
  const db = path === '' ? 0 : Number(path);
  if (db > 15) throw new Error(`--queue ${s}: database ${db} is out of range (0-15)`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const display = `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : u.password ? ':***@' : ''}${u.host}/${db}`;
  return { display, host: u.hostname.replace(/^\[|\]$/g, ''), port, db, username, password, tls: u.protocol === 'rediss:' };
}

/** Redis could not be reached (or refused us) at the given URL. */
export class QueueUnreachableError extends Error {}

/** One RESP command, encoded. */
const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Checks that Redis answers at `q` (AUTH when the URL has a password, SELECT the database, PING),
 * within `timeoutMs`, once. Throws QueueUnreachableError naming the URL.
 */
export async function probeRedis(q: QueueUrl, timeoutMs = 3000): Promise<void> {
  const fail = (why: string) =>
    new QueueUnreachableError(`Redis at ${q.display} is not reachable: ${why} (start it, e.g. redis-server --port ${q.port} --appendonly yes, or fix --queue)`);
  await new Promise<void>((resolve, reject) => {
    const sock: Socket = q.tls ? tlsConnect({ host: q.host, port: q.port, servername: q.host }) : tcpConnect({ host: q.host, port: q.port });
    const cmds = [
      ...(q.password !== undefined ? [q.username ? resp('AUTH', q.username, q.password) : resp('AUTH', q.password)] : []),
      resp('SELECT', String(q.db)),
      resp('PING'),
    ];
    const expected = cmds.length;
    let buf = '';
    let replies = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(fail(`no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.once(q.tls ? 'secureConnect' : 'connect', () => sock.write(cmds.join('')));
    sock.on('error', (e: NodeJS.ErrnoException) => done(fail(e.code ?? e.message)));
    sock.on('close', () => done(fail('the connection was closed')));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (line.startsWith('-')) return done(new QueueUnreachableError(`Redis at ${q.display} refused the connection: ${line.slice(1)}`));
        replies++;
        if (replies === expected) return done(line === '+PONG' ? undefined : fail(`unexpected reply to PING: ${line}`));
      }
    });
  });
}

/**
 * Connection options for ioredis / BullMQ: commands wait while Redis is away (a restart) and the
 * client reconnects with backoff up to 5 s; errors are reported through `onError` once per distinct
 * message rather than on every retry.
 */
export function redisOptions(q: QueueUrl): RedisOptions {
  return {
    host: q.host,
    port: q.port,
    db: q.db,
    username: q.username,
    password: q.password,
    ...(q.tls ? { tls: { servername: q.host } } : {}),
    connectTimeout: 5000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
}

/** A plain client (the run registry, progress counts), with errors logged once per distinct message. */
export function openRedis(q: QueueUrl, log: (line: string) => void): Redis {
  const r = new Redis(redisOptions(q));
  let last = '';
  r.on('error', (e: Error) => {
    const m = `redis ${q.display}: ${(e as NodeJS.ErrnoException).code ?? e.message}`;
    if (m !== last) log(m + ' (retrying)');
    last = m;
  });
  r.on('ready', () => {
    if (last) log(`redis ${q.display}: connected again`);
    last = '';
  });
  return r;
}
