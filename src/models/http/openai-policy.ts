import { z } from 'zod';
import type { Completion, GenerateRequest, Policy } from '../types.js';
import { BackendError, networkCause } from './errors.js';
import { HttpTransport, type TransportOptions } from './transport.js';
import type { PromptTemplate } from './templates.js';

export interface OpenAIPolicyOptions extends TransportOptions {
  /** The served model name (`model` in every request). */
  model: string;
  /** Ask for this many top logprobs per token (the completion's token count then comes from them). */
  logprobs?: number;
  /**
   * Send vLLM's sampling extensions (include_stop_str_in_output, skip_special_tokens: false,
   * spaces_between_special_tokens: false, ignore_eos). SGLang and rstar serve accept them too; turn
   * off for servers that reject unknown fields.
   */
  vllmExtensions?: boolean;
  /** Put several prompts with identical sampling settings in one request (prompt: string[]). */
  batchPrompts?: boolean;
  maxPromptsPerRequest?: number;
  /** Rewrites the search's rStar prompts for the served model (few-shot, chat template); default: as is. */
  template?: PromptTemplate;
}

export interface PolicyUsage {
  promptTokens: number;
  completionTokens: number;
}

const choiceSchema = z.object({
  index: z.number().int().nonnegative(),
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
  stop_reason: z.union([z.string(), z.number(), z.null()]).optional(),
  logprobs: z
    .object({ tokens: z.array(z.string()).optional() })
    .passthrough()
    .nullable()
    .optional(),
  /** rstar serve's extension: tokens generated for this choice. */
  completion_tokens: z.number().int().nonnegative().optional(),
});

export const completionResponseSchema = z.object({
  id: z.string().optional(),
  object: z.string().optional(),
  model: z.string().optional(),
  choices: z.array(choiceSchema),
  usage: z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative().optional(),
      total_tokens: z.number().int().nonnegative().optional(),
    })
    .nullable()
    .optional(),
});
export type CompletionResponse = z.infer<typeof completionResponseSchema>;

/** A policy served by an OpenAI-compatible completions endpoint (vLLM, SGLang, llama.cpp, Ollama, rstar serve). */
export class OpenAIPolicy implements Policy {
  readonly name: string;
  readonly transport: HttpTransport;
  readonly usage: PolicyUsage = { promptTokens: 0, completionTokens: 0 };
  private readonly o: OpenAIPolicyOptions;

  constructor(opts: OpenAIPolicyOptions) {
    this.o = { vllmExtensions: true, batchPrompts: true, maxPromptsPerRequest: 32, ...opts };
    this.transport = new HttpTransport({ what: 'policy server', ...opts });
    this.name = `http:${opts.model}`;
  }

  /** Fails with a clear message when a replica is unreachable or does not serve the model. */
  async check(): Promise<void> {
    for (const base of this.transport.baseUrls) {
      let listed: unknown;
      try {
        listed = await this.transport.get(base, '/models');
      } catch (e) {
        if (e instanceof BackendError) {
          if (e.status === 404) continue; // some servers have no /models; the first request will tell.
          throw new BackendError(`policy server ${base}: ${e.message}`, e.status);
        }
        throw new BackendError(`cannot reach the policy server at ${base}: ${networkCause(e)} (is the server running? start one with \`rstar serve\` or vLLM)`);
      }
      const ids = modelIds(listed);
      if (ids && !ids.includes(this.o.model)) {
        throw new BackendError(
          `policy server ${base} does not serve the model "${this.o.model}"; it serves: ${ids.join(', ') || '(none)'} (set --policy-model)`,
          404,
        );
      }
    }
  }

  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    const t = this.o.template;
    if (t && t.name !== 'rstar-sft') requests = await Promise.all(requests.map(async (r) => ({ ...r, prompt: await t.render(r.prompt) })));
    // Group requests whose sampling settings match (one HTTP request, prompt: string[]).
    const groups = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const key = this.o.batchPrompts ? JSON.stringify([r.n, r.maxTokens, r.temperature, r.topP, r.stop, r.seed ?? null, !!r.ignoreEos]) : String(i);
      const g = groups.get(key);
      if (g && g.length < (this.o.maxPromptsPerRequest ?? 32)) g.push(i);
      else groups.set(g ? `${key}#${i}` : key, [i]);
    });
    const results: Completion[][] = new Array(requests.length);
    await Promise.all(
      [...groups.values()].map(async (idx) => {
        const out = await this.complete(idx.map((i) => requests[i]));
        idx.forEach((i, k) => (results[i] = out[k]));
      }),
    );
    return results;
  }

  /** Builds the request body (exported for contract tests). */
  body(reqs: GenerateRequest[]): Record<string, unknown> {
    const r = reqs[0];
    const body: Record<string, unknown> = {
      model: this.o.model,
      prompt: reqs.length === 1 ? r.prompt : reqs.map((q) => q.prompt),
      n: r.n,
      max_tokens: r.maxTokens,
      temperature: r.temperature,
      top_p: r.topP,
      stream: false,
    };
    if (r.stop.length > 0) body.stop = r.stop;
    if (r.seed !== undefined) body.seed = r.seed;
    if (this.o.logprobs !== undefined) body.logprobs = this.o.logprobs;
    if (this.o.vllmExtensions) {
      body.include_stop_str_in_output = true;
      body.skip_special_tokens = false;
      body.spaces_between_special_tokens = false;
      if (r.ignoreEos) body.ignore_eos = true;
    }
    return body;
  }

  private async complete(reqs: GenerateRequest[]): Promise<Completion[][]> {
    const raw = await this.transport.post('/completions', this.body(reqs), (base, status, msg) => this.clientError(base, status, msg));
    const parsed = completionResponseSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BackendError(`the policy server's completion response is malformed: field "${issue.path.join('.')}": ${issue.message}`);
    }
    return this.toCompletions(reqs, parsed.data);
  }

  /** Maps a completions response (choices indexed prompt * n + candidate, as vLLM orders them). */
  toCompletions(reqs: GenerateRequest[], res: CompletionResponse): Completion[][] {
    const n = reqs[0].n;
    const want = reqs.length * n;
    if (res.choices.length !== want)
      throw new BackendError(`the policy server returned ${res.choices.length} choices, expected ${want} (n=${n} × ${reqs.length} prompts)`);
    const byIndex = [...res.choices].sort((a, b) => a.index - b.index);
    const counted = byIndex.map((c) => c.completion_tokens ?? c.logprobs?.tokens?.length);
    const total = res.usage?.completion_tokens;
    const known = counted.reduce<number>((a, c) => a + (c ?? 0), 0);
    const unknownChars = byIndex.reduce((a, c, i) => a + (counted[i] === undefined ? c.text.length : 0), 0);
    if (res.usage) {
      this.usage.promptTokens += res.usage.prompt_tokens;
      this.usage.completionTokens += total ?? known;
    }
    const out: Completion[][] = reqs.map(() => []);
    byIndex.forEach((c, i) => {
      const req = reqs[Math.floor(i / n)];
      let text = c.text;
      const stopped = c.finish_reason === 'stop';
      // A server that drops the matched stop string (OpenAI's default): put it back, as Policy promises.
      if (stopped && typeof c.stop_reason === 'string' && !text.endsWith(c.stop_reason) && req.stop.includes(c.stop_reason)) text += c.stop_reason;
      // Without per-choice counts, share usage.completion_tokens out by text length.
      let tokens = counted[i];
      if (tokens === undefined) tokens = total !== undefined && unknownChars > 0 ? Math.round(((total - known) * c.text.length) / unknownChars) : 0;
      out[Math.floor(i / n)].push({ text, tokens, finishReason: stopped ? 'stop' : 'length' });
    });
    return out;
  }

  private async clientError(base: string, status: number, msg: string): Promise<Error> {
    if (status === 404 || /model/i.test(msg)) {
      let served = '';
      try {
        const ids = modelIds(await this.transport.get(base, '/models'));
        if (ids && !ids.includes(this.o.model)) served = `; the server serves: ${ids.join(', ') || '(none)'} (set --policy-model)`;
      } catch {
        /* keep the server's own message */
      }
      if (served || status === 404) return new BackendError(`policy server ${base}: model "${this.o.model}": HTTP ${status}: ${msg}${served}`, status);
    }
    return new BackendError(`policy server ${base} rejected the request: HTTP ${status}: ${msg}`, status);
  }

  async close(): Promise<void> {}
}

/**
 * The model a server serves when the client named none: the only one its /models lists. Fails with
 * a clear message (listing them) when it lists several or none, or has no /models.
 */
export async function servedModel(opts: TransportOptions): Promise<string> {
  const transport = new HttpTransport({ what: 'policy server', ...opts, retries: 0 });
  const base = transport.baseUrls[0];
  let listed: unknown;
  try {
    listed = await transport.get(base, '/models');
  } catch (e) {
    if (e instanceof BackendError) throw new BackendError(`policy server ${base}: ${e.message} (cannot list its models; set --policy-model)`, e.status);
    throw new BackendError(`cannot reach the policy server at ${base}: ${networkCause(e)} (is the server running? start one with \`rstar serve\` or vLLM)`);
  }
  const ids = modelIds(listed);
  if (ids === null) throw new BackendError(`policy server ${base}: /models did not list models; set --policy-model`);
  if (ids.length !== 1)
    throw new BackendError(
      `policy server ${base} serves ${ids.length === 0 ? 'no models' : `several models: ${ids.join(', ')}`}; choose one with --policy-model`,
    );
  return ids[0];
}

export function modelIds(listed: unknown): string[] | null {
  const data = (listed as { data?: unknown })?.data;
  if (!Array.isArray(data)) return null;
  return data.map((m) => (m as { id?: unknown })?.id).filter((x): x is string => typeof x === 'string');
}
