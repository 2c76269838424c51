import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { GenerateRequest, Policy, RewardModel } from '../models/types.js';
import { hashSeed } from '../util/rng.js';
import { RequestBatcher } from './batcher.js';

export interface ServeOptions {
  /** The policy engine (embedded OnnxPolicy) served at /v1/completions. */
  policy?: Policy;
  /** The reward model (PPM) served at /v1/rewards. */
  reward?: RewardModel;
  /** Name clients must send as `model` for completions (and for rewards unless rewardModelName is set). */
  modelName: string;
  rewardModelName?: string;
  /** Tokenizer of the policy, for usage.prompt_tokens and context checks. */
  countTokens?: (text: string) => number;
  maxContext?: number;
  /** Context of the reward model (tokens): longer /v1/rewards inputs are refused, not truncated. */
  rewardMaxContext?: number;
  /** Largest accepted request body (bytes). */
  maxBodyBytes?: number;
  /** Request budget: n, prompts per request, max_tokens, and n × prompts × max_tokens. */
  maxN?: number;
  maxPrompts?: number;
  maxTokens?: number;
  maxRequestTokens?: number;
  /** Completions and rewards requests accepted and not yet answered; more get 429 + Retry-After. */
  maxQueue?: number;
  /** Time to receive a request's headers, and the whole request (headers and body), in ms. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Open connections at most; further connections are closed at once. */
  maxConnections?: number;
  /** Largest engine batch (rows) built from concurrent requests. */
  maxBatchSequences?: number;
  /**
   * Send each request to a continuously batching engine as it arrives (its rows join the running
   * batch) instead of merging what arrives while a batch decodes into the next one.
   */
  continuousBatching?: boolean;
  /** Seed of requests without one. */
  seed?: number;
  log?: (line: string) => void;
}

export interface ServeStats {
  requests: number;
  errors: number;
  inFlight: number;
  /** Completions and rewards requests accepted and not yet answered (bounded by maxQueue). */
  queued: number;
  /** Requests whose client went away before the answer; their generation was aborted. */
  cancelled: number;
  /** Requests refused with 429 because the queue was full. */
  rejectedBusy: number;
  promptTokens: number;
  completionTokens: number;
}

export const SERVE_DEFAULTS = {
  maxBodyBytes: 1 << 20,
  maxN: 128,
  maxPrompts: 64,
  maxRequestTokens: 262_144,
  maxQueue: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 512,
  seed: 0,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = status === 404
      ? 'NotFoundError'
      : status === 413
        ? 'RequestEntityTooLarge'
        : status === 429
          ? 'RateLimitError'
          : status === 503
            ? 'ServiceUnavailableError'
            : status >= 500
              ? 'InternalServerError'
              : 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const stopSchema = z
  .union([z.string(), z.array(z.string()).max(32)])
  .nullable()
  .optional();

/** The OpenAI completions request, with the vLLM sampling extensions rstar's client sends. */
export const completionRequestSchema = z.object({
  model: z.string(),
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  n: z.number().int().min(1).optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(100).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop: stopSchema,
  seed: z.number().int().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  echo: z.boolean().nullable().optional(),
  logprobs: z.number().int().min(0).nullable().optional(),
  best_of: z.number().int().nullable().optional(),
  ignore_eos: z.boolean().optional(),
  include_stop_str_in_output: z.boolean().optional(),
  skip_special_tokens: z.boolean().optional(),
  spaces_between_special_tokens: z.boolean().optional(),
  user: z.string().optional(),
});

export const rewardRequestSchema = z.object({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
});

const DEFAULT_MAX_TOKENS = 16; // OpenAI's default for /v1/completions

/**
 * `rstar serve`: the embedded policy as an OpenAI-compatible completions endpoint and the PPM as a
 * scoring endpoint, over node:http. Concurrent requests are merged into engine batches.
 */
export class RstarServer {
  readonly server: Server;
  readonly batcher: RequestBatcher | null;
  readonly stats: ServeStats = { requests: 0, errors: 0, inFlight: 0, queued: 0, cancelled: 0, rejectedBusy: 0, promptTokens: 0, completionTokens: 0 };
  private draining = false;
  private idle: Array<() => void> = [];
  private seedCounter = 0;
  /** Smoothed time to answer a generation request (ms), for Retry-After. */
  private answerMs = 1000;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly o: ServeOptions & typeof SERVE_DEFAULTS & { maxTokens: number };

  constructor(opts: ServeOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as ServeOptions;
    this.o = { ...SERVE_DEFAULTS, maxTokens: opts.maxContext ?? 1024, ...defined };
    this.batcher = opts.policy ? new RequestBatcher(opts.policy, opts.maxBatchSequences ?? 256, { continuous: opts.continuousBatching }) : null;
    // requestTimeout covers receiving the request (headers and body), not generating the answer: a
    // client that stalls mid-body is answered 408 and disconnected. Node checks the timers every
    // connectionsCheckingInterval, so that is kept well below the timeouts.
    const requestTimeout = this.o.requestTimeoutMs;
    const headersTimeout = Math.min(this.o.headersTimeoutMs, requestTimeout);
    this.server = createServer(
      { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout >> 2)) },
      (req, res) => void this.handle(req, res),
    );
    this.server.keepAliveTimeout = 65_000;
    this.server.maxConnections = this.o.maxConnections;
  }

  get hasReward(): boolean {
    return this.o.reward !== undefined;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${h}:${a.port}/v1`;
  }

  /**
   * Graceful shutdown: stop accepting connections, answer 503 to new requests on open connections,
   * let requests in flight finish (up to graceMs), then close every connection and the models.
   */
  async close(graceMs = 30_000): Promise<{ drained: boolean }> {
    this.draining = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    let drained = true;
    if (this.stats.inFlight > 0) {
      drained = await Promise.race([
        new Promise<boolean>((r) => this.idle.push(() => r(true))),
        new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
      ]);
    }
    this.server.closeAllConnections();
    await closed;
    await this.o.policy?.close();
    await this.o.reward?.close();
    return { drained };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    this.stats.inFlight++;
    // A client that goes away before its answer aborts its generation (its rows leave the batch).
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      if (this.draining) {
        res.setHeader('connection', 'close');
        throw new HttpError(503, 'the server is shutting down');
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/\/+$/, '');
      if (req.method === 'GET' && (path === '/health' || path === '/v1/health')) return send(res, 200, { status: 'ok' });
      if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) return send(res, 200, this.models());
      if (req.method === 'GET' && (path === '/v1/stats' || path === '/stats')) return send(res, 200, this.statsBody());
      const generation =
        path === '/v1/completions' || path === '/completions' ? 'completions' : path === '/v1/rewards' || path === '/rewards' ? 'rewards' : null;
      if (!generation) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
      if (req.method !== 'POST') throw new HttpError(405, `use POST for ${path}`);
      const body = await this.readJson(req);
      return send(res, 200, await this.queued(() => (generation === 'completions' ? this.completions(body, abort.signal) : this.rewards(body))));
    } catch (e) {
      if (abort.signal.aborted && isAbort(e)) {
        this.stats.cancelled++;
        return;
      }
      this.stats.errors++;
      const he = e instanceof HttpError ? e : new HttpError(500, (e as Error).message ?? String(e));
      if (he.status >= 500 && he.status !== 503) this.o.log?.(`error: ${he.message}`);
      if (he.status === 413) res.setHeader('connection', 'close');
      if (he instanceof BusyError) res.setHeader('retry-after', String(he.retryAfterS));
      send(res, he.status, { error: { message: he.message, type: he.type, param: he.param, code: he.status } });
      // Stop reading the oversized body once the answer is out.
      if (he.status === 413) res.once('finish', () => req.destroy());
    } finally {
      this.stats.inFlight--;
      if (this.stats.inFlight === 0) this.idle.splice(0).forEach((f) => f());
    }
  }

  /** Runs one generation request within the queue bound (429 + Retry-After when it is full). */
  private async queued<T>(work: () => Promise<T>): Promise<T> {
    if (this.stats.queued >= this.o.maxQueue) {
      this.stats.rejectedBusy++;
      const retryAfterS = Math.min(60, Math.max(1, Math.ceil(this.answerMs / 1000)));
      throw new BusyError(
        `the server is busy: ${this.stats.queued} requests are queued (--max-queue ${this.o.maxQueue}); retry after ${retryAfterS} s`,
        retryAfterS,
      );
    }
    this.stats.queued++;
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.stats.queued--;
      this.answerMs = 0.8 * this.answerMs + 0.2 * (performance.now() - t0);
    }
  }

  /** GET /v1/stats: the server's counters, the request batcher's and the engine's (when it keeps any). */
  private statsBody(): unknown {
    const engine = (this.o.policy as { stats?: unknown } | undefined)?.stats ?? null;
    return {
      server: this.stats,
      batcher: this.batcher ? { ...this.batcher.stats, waiting: this.batcher.waiting } : null,
      engine,
      limits: {
        max_n: this.o.maxN,
        max_prompts: this.o.maxPrompts,
        max_tokens: this.o.maxTokens,
        max_request_tokens: this.o.maxRequestTokens,
        max_queue: this.o.maxQueue,
        max_body_bytes: this.o.maxBodyBytes,
        headers_timeout_ms: this.server.headersTimeout,
        request_timeout_ms: this.server.requestTimeout,
        max_connections: this.o.maxConnections,
      },
    };
  }

  private models(): unknown {
    const data: unknown[] = [];
    if (this.o.policy)
      data.push({
        id: this.o.modelName,
        object: 'model',
        created: this.created,
        owned_by: 'rstar',
        root: this.o.modelName,
        parent: null,
        max_model_len: this.o.maxContext ?? null,
      });
    const rname = this.o.rewardModelName ?? this.o.modelName;
    if (this.o.reward && !(this.o.policy && rname === this.o.modelName))
      data.push({ id: rname, object: 'model', created: this.created, owned_by: 'rstar', root: rname, parent: null });
    return { object: 'list', data };
  }

  private readJson(req: IncomingMessage): Promise<unknown> {
    const limit = this.o.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit)
      return Promise.reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (c: Buffer) => {
        if (failed) return;
        size += c.length;
        if (size > limit) {
          failed = true;
          reject(new HttpError(413, `request body exceeds the limit of ${limit} bytes`));
          return;
        }
        chunks.push(c);
      });
      req.on('error', (e) => {
        if (!failed) reject(new HttpError(400, `cannot read the request body: ${e.message}`));
        failed = true;
      });
      req.on('end', () => {
        if (failed) return;
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(JSON.parse(raw));
        } catch (e) {
          reject(new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`));
        }
      });
    });
  }

  private async completions(raw: unknown, signal?: AbortSignal): Promise<unknown> {
    if (!this.batcher) throw new HttpError(404, 'this server has no policy model (no /v1/completions)');
    const parsed = completionRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.path.join('.') || null;
      throw new HttpError(400, `${param ? `field "${param}": ` : ''}${issue.message}`, 'BadRequestError', param);
    }
    const b = parsed.data;
    if (b.model !== this.o.modelName) throw new HttpError(404, `The model \`${b.model}\` does not exist.`, 'NotFoundError', 'model');
    if (b.stream) throw new HttpError(400, 'stream is not supported by rstar serve', 'BadRequestError', 'stream');
    if (b.echo) throw new HttpError(400, 'echo is not supported by rstar serve', 'BadRequestError', 'echo');
    if (b.logprobs !== undefined && b.logprobs !== null) throw new HttpError(400, 'logprobs are not supported by rstar serve', 'BadRequestError', 'logprobs');
    if (b.best_of !== undefined && b.best_of !== null && b.best_of !== (b.n ?? 1))
      throw new HttpError(400, 'best_of is not supported by rstar serve', 'BadRequestError', 'best_of');
    const n = b.n ?? 1;
    if (n > this.o.maxN) throw new HttpError(400, `n must be at most ${this.o.maxN}, got ${n}`, 'BadRequestError', 'n');
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
    if (prompts.length > this.o.maxPrompts)
      throw new HttpError(400, `at most ${this.o.maxPrompts} prompts per request, got ${prompts.length}`, 'BadRequestError', 'prompt');
    const maxTokens = b.max_tokens ?? DEFAULT_MAX_TOKENS;
    if (maxTokens > this.o.maxTokens)
      throw new HttpError(400, `max_tokens must be at most ${this.o.maxTokens}, got ${maxTokens}`, 'BadRequestError', 'max_tokens');
    const asked = n * prompts.length * maxTokens;
    if (asked > this.o.maxRequestTokens) {
      throw new HttpError(
        400,
        `this request asks for up to ${asked} tokens (n × prompts × max_tokens = ${n} × ${prompts.length} × ${maxTokens}); the limit is ${this.o.maxRequestTokens} per request`,
        'BadRequestError',
        'n',
      );
    }
    const stop = b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
    if (stop.some((s) => s === '')) throw new HttpError(400, 'stop strings must not be empty', 'BadRequestError', 'stop');
    const promptTokens = prompts.map((p) => (this.o.countTokens ? this.o.countTokens(p) : 0));
    const maxCtx = this.o.maxContext;
    promptTokens.forEach((t, i) => {
      if (maxCtx !== undefined && t >= maxCtx) {
        throw new HttpError(
          400,
          `This model's maximum context length is ${maxCtx} tokens. However, prompt ${i} has ${t} tokens, which leaves no room to generate.`,
          'BadRequestError',
          'prompt',
        );
      }
      if (prompts[i] === '') throw new HttpError(400, `prompt ${i} is empty`, 'BadRequestError', 'prompt');
    });
    const seed = b.seed ?? hashSeed(this.o.seed, 'serve', this.seedCounter++);
    const reqs: GenerateRequest[] = prompts.map((prompt) => ({
      prompt,
      n,
      maxTokens,
      temperature: b.temperature ?? 1,
      topP: b.top_p ?? 1,
      stop,
      seed,
      ignoreEos: b.ignore_eos ?? false,
    }));
    const out = await this.batcher.submit(reqs, signal);
    signal?.throwIfAborted();
    const includeStop = b.include_stop_str_in_output ?? false;
    const choices: unknown[] = [];
    let completionTokens = 0;
    out.forEach((cands, p) =>
      cands.forEach((c, j) => {
        let text = c.text;
        let stopReason: string | null = null;
        if (c.finishReason === 'stop') {
          const hit = stop.find((s) => text.endsWith(s));
          if (hit !== undefined) {
            stopReason = hit;
            if (!includeStop) text = text.slice(0, text.length - hit.length);
          }
        }
        completionTokens += c.tokens;
        choices.push({ index: p * n + j, text, logprobs: null, finish_reason: c.finishReason, stop_reason: stopReason, completion_tokens: c.tokens });
      }),
    );
    const prompt = promptTokens.reduce((a, t) => a + t, 0);
    this.stats.promptTokens += prompt;
    this.stats.completionTokens += completionTokens;
    return {
      id: `cmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: this.o.modelName,
      choices,
      usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
    };
  }

  private async rewards(raw: unknown): Promise<unknown> {
    if (!this.o.reward) throw new HttpError(404, 'this server has no reward model (the bundle has no ppm.onnx)');
    const parsed = rewardRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.path.join('.') || null;
      throw new HttpError(400, `${param ? `field "${param}": ` : ''}${issue.message}`, 'BadRequestError', param);
    }
    const name = this.o.rewardModelName ?? this.o.modelName;
    if (parsed.data.model !== name) throw new HttpError(404, `The model \`${parsed.data.model}\` does not exist.`, 'NotFoundError', 'model');
    const input = typeof parsed.data.input === 'string' ? [parsed.data.input] : parsed.data.input;
    if (input.length > this.o.maxPrompts * 4) throw new HttpError(400, `at most ${this.o.maxPrompts * 4} inputs per request`, 'BadRequestError', 'input');
    const tokens = input.map((t, i) => {
      if (t === '') throw new HttpError(400, `input ${i} is empty`, 'BadRequestError', 'input');
      return this.o.countTokens ? this.o.countTokens(t) : 0;
    });
    // The reward model would left-truncate a longer input: refuse it instead (as vLLM does) so the
    // score and usage always describe the whole input.
    const ctx = this.o.rewardMaxContext;
    tokens.forEach((t, i) => {
      if (ctx !== undefined && t > ctx)
        throw new HttpError(
          400,
          `The reward model's maximum context length is ${ctx} tokens. However, input ${i} has ${t} tokens.`,
          'BadRequestError',
          'input',
        );
    });
    const scores = await this.o.reward.score(input);
    const prompt = tokens.reduce((a, t) => a + t, 0);
    return {
      id: `rwd-${randomUUID().replace(/-/g, '')}`,
      object: 'list',
      created: Math.floor(Date.now() / 1000),
      model: name,
      data: scores.map((score, index) => ({ index, object: 'reward', score })),
      usage: { prompt_tokens: prompt, total_tokens: prompt },
    };
  }
}

class BusyError extends HttpError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(429, message);
  }
}

const isAbort = (e: unknown): boolean => (e as { name?: string } | null)?.name === 'AbortError';

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
