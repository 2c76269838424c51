import { BackendError, errorMessage, networkCause } from './errors.js';

export interface TransportOptions {
  /** One or more base URLs (replicas), e.g. http://127.0.0.1:8000/v1; requests go round-robin. */
  baseUrls: string[];
  apiKey?: string;
  /** Requests in flight at once, over all replicas. */
  concurrency?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt (429, 5xx, connection errors, timeouts). */
  retries?: number;
  /** First backoff; doubles each retry (with jitter), capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** What this backend is, for messages ("policy server"). */
  what?: string;
}

export interface TransportStats {
  requests: number;
  attempts: number;
  retries: number;
  failures: number;
  ms: number;
}

class Semaphore {
  private waiters: Array<() => void> = [];
  private used = 0;
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function normalizeBaseUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new BackendError(`not a URL: "${u}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BackendError(`not an http(s) URL: "${u}"`);
  return url.toString().replace(/\/+$/, '');
}

/** JSON over HTTP with a concurrency limit, round-robin replicas, timeouts and retry with backoff. */
export class HttpTransport {
  readonly baseUrls: string[];
  readonly stats: TransportStats = { requests: 0, attempts: 0, retries: 0, failures: 0, ms: 0 };
  private readonly sem: Semaphore;
  private next = 0;
  private readonly o: Required<Omit<TransportOptions, 'apiKey' | 'baseUrls'>> & { apiKey?: string };

  constructor(opts: TransportOptions) {
    if (opts.baseUrls.length === 0) throw new BackendError('no base URL given');
    this.baseUrls = opts.baseUrls.map(normalizeBaseUrl);
    this.o = {
      apiKey: opts.apiKey,
      concurrency: opts.concurrency ?? 16,
      timeoutMs: opts.timeoutMs ?? 300_000,
      retries: opts.retries ?? 4,
      backoffMs: opts.backoffMs ?? 250,
      maxBackoffMs: opts.maxBackoffMs ?? 8_000,
      what: opts.what ?? 'server',
    };
    this.sem = new Semaphore(Math.max(1, this.o.concurrency));
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.o.apiKey) h.authorization = `Bearer ${this.o.apiKey}`;
    return h;
  }

  /** GET a path on one replica, no retries (model listing, health). */
  async get(base: string, path: string): Promise<unknown> {
    const res = await fetch(base + path, { headers: this.headers(), signal: AbortSignal.timeout(Math.min(this.o.timeoutMs, 30_000)) });
    const raw = await res.text();
    if (!res.ok) throw new BackendError(`${base}${path}: HTTP ${res.status}: ${errorMessage(safeJson(raw), raw)}`, res.status);
    return safeJson(raw);
  }

  /**
   * POSTs `body` to `path` on the next replica; on a retryable failure, the next attempt goes to the
   * next replica. `onClientError` may turn a 4xx into a clearer error (e.g. list the served models).
   */
  async post(path: string, body: unknown, onClientError?: (base: string, status: number, message: string) => Promise<Error>): Promise<unknown> {
    await this.sem.acquire();
    const t0 = performance.now();
    this.stats.requests++;
    try {
      const payload = JSON.stringify(body);
      let last = '';
      for (let attempt = 0; attempt <= this.o.retries; attempt++) {
        const base = this.baseUrls[this.next++ % this.baseUrls.length];
        if (attempt > 0) this.stats.retries++;
        this.stats.attempts++;
        let res: Response;
        let raw: string;
        try {
          res = await fetch(base + path, { method: 'POST', headers: this.headers(), body: payload, signal: AbortSignal.timeout(this.o.timeoutMs) });
          raw = await res.text();
        } catch (e) {
          const cause = networkCause(e);
          last = cause === 'timed out' ? `${base}${path}: no answer within ${this.o.timeoutMs} ms` : `${base}${path}: ${cause}`;
          await this.backoff(attempt, null);
          continue;
        }
        if (res.ok) {
          const parsed = safeJson(raw);
          if (parsed === undefined) {
            // A truncated or garbled body: a proxy or a dying server; worth another try.
            last = `${base}${path}: the ${this.o.what} answered malformed JSON (${raw.length} bytes: ${JSON.stringify(raw.slice(0, 80))})`;
            await this.backoff(attempt, null);
            continue;
          }
          return parsed;
        }
        const msg = errorMessage(safeJson(raw), raw);
        if (res.status === 429 || res.status >= 500) {
          last = `${base}${path}: HTTP ${res.status}: ${msg}`;
          await this.backoff(attempt, res.headers.get('retry-after'));
          continue;
        }
        this.stats.failures++;
        if (onClientError) throw await onClientError(base, res.status, msg);
        throw new BackendError(`${base}${path}: HTTP ${res.status}: ${msg}`, res.status);
      }
      this.stats.failures++;
      throw new BackendError(
        `the ${this.o.what} failed after ${this.o.retries + 1} attempts (${this.baseUrls.join(', ')}); last error: ${last}`,
        undefined,
        true,
      );
    } finally {
      this.stats.ms += performance.now() - t0;
      this.sem.release();
    }
  }

  private async backoff(attempt: number, retryAfter: string | null): Promise<void> {
    if (attempt >= this.o.retries) return;
    let ms = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** attempt);
    ms = ms * (0.5 + Math.random() * 0.5);
    const ra = retryAfter !== null ? Number(retryAfter) : NaN;
    if (Number.isFinite(ra) && ra >= 0) ms = Math.min(this.o.maxBackoffMs, ra * 1000);
    await sleep(ms);
  }
}

export function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
