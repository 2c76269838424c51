import { z } from 'zod';
import type { RewardModel } from '../types.js';
import { BackendError } from './errors.js';
import { HttpTransport, type TransportOptions } from './transport.js';
import { ChatTemplate, splitRstarPrompt } from './templates.js';
import { TAGS } from '../../steps/protocol.js';

export const rewardResponseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), score: z.number() })),
});

/** vLLM's /pooling response: data[i].data is the pooled output (for a PRM with STEP pooling: [p_neg, p_pos] per step). */
export const poolingResponseSchema = z.object({
  id: z.string().optional(),
  object: z.string().optional(),
  model: z.string().optional(),
  data: z.array(z.object({ index: z.number().int().nonnegative(), object: z.string().optional(), data: z.unknown() })),
  usage: z.object({ prompt_tokens: z.number() }).passthrough().nullable().optional(),
});

export type StepAggregate = 'last' | 'min' | 'mean' | 'prod';

export interface HttpRewardOptions extends TransportOptions {
  model: string;
  /**
   * `rstar`: rstar serve's scoring endpoint (POST {base}/rewards, {model, input: [...]} → data[].score in [-1, 1]).
   * `vllm-prm`: vLLM's pooling API (POST {root}/pooling) with a process reward model such as
   * Qwen/Qwen2.5-Math-PRM-7B: steps joined by the step separator inside the chat template; each step's
   * P(good) becomes a score 2p − 1, and the steps' scores are aggregated (default: the last step).
   */
  kind?: 'rstar' | 'vllm-prm';
  /** Step separator token of the PRM (Qwen2.5-Math-PRM: `<extra_0>`). */
  stepSeparator?: string;
  systemPrompt?: string;
  chatTemplate?: ChatTemplate;
  aggregate?: StepAggregate;
}

export const QWEN_PRM_SYSTEM = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** A reward model served over HTTP. */
export class HttpRewardModel implements RewardModel {
  readonly name: string;
  readonly transport: HttpTransport;
  private readonly o: Required<Omit<HttpRewardOptions, keyof TransportOptions | 'chatTemplate'>> & { chatTemplate: ChatTemplate };

  constructor(opts: HttpRewardOptions) {
    const kind = opts.kind ?? 'rstar';
    // vLLM serves /pooling at the root, not under /v1.
    const baseUrls = kind === 'vllm-prm' ? opts.baseUrls.map((u) => u.replace(/\/+$/, '').replace(/\/v1$/, '')) : opts.baseUrls;
    this.transport = new HttpTransport({ what: 'reward server', ...opts, baseUrls });
    this.o = {
      model: opts.model,
      kind,
      stepSeparator: opts.stepSeparator ?? '<extra_0>',
      systemPrompt: opts.systemPrompt ?? QWEN_PRM_SYSTEM,
      chatTemplate: opts.chatTemplate ?? ChatTemplate.builtin('chatml'),
      aggregate: opts.aggregate ?? 'last',
    };
    this.name = `http-${kind}:${opts.model}`;
  }

  async score(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    if (this.o.kind === 'rstar') {
      const raw = await this.transport.post('/rewards', { model: this.o.model, input: texts });
      const r = rewardResponseSchema.safeParse(raw);
      if (!r.success)
        throw new BackendError(`the reward server's response is malformed: field "${r.error.issues[0].path.join('.')}": ${r.error.issues[0].message}`);
      return order(r.data.data, texts.length).map((d) => d.score);
    }
    const steps = await this.scoreSteps(texts);
    return steps.map((s) => aggregate(s, this.o.aggregate));
  }

  /** The PRM input for an rStar trajectory: the chat with the steps joined by the separator. */
  async renderPrm(text: string): Promise<string> {
    const split = splitRstarPrompt(text);
    const question = split ? split.question : text;
    const steps = split ? rstarSteps(split.partial) : [];
    const sep = this.o.stepSeparator;
    const assistant = steps.length ? steps.join(sep) + sep : sep;
    return this.o.chatTemplate.render(
      [
        { role: 'system', content: this.o.systemPrompt },
        { role: 'user', content: question },
        { role: 'assistant', content: assistant },
      ],
      false,
    );
  }

  /** Per-step scores in [-1, 1] (vllm-prm). */
  async scoreSteps(texts: string[]): Promise<number[][]> {
    const input = await Promise.all(texts.map((t) => this.renderPrm(t)));
    const raw = await this.transport.post('/pooling', { model: this.o.model, input });
    const r = poolingResponseSchema.safeParse(raw);
    if (!r.success)
      throw new BackendError(`the reward server's pooling response is malformed: field "${r.error.issues[0].path.join('.')}": ${r.error.issues[0].message}`);
    return order(r.data.data, texts.length).map((d, i) => stepScores(d.data, i));
  }

  async close(): Promise<void> {}
}

function order<T extends { index: number }>(data: T[], n: number): T[] {
  if (data.length !== n) throw new BackendError(`the reward server returned ${data.length} results for ${n} inputs`);
  const out = new Array<T>(n);
  for (const d of data) {
    if (d.index >= n || out[d.index]) throw new BackendError(`the reward server returned a bad or repeated index ${d.index}`);
    out[d.index] = d;
  }
  return out;
}

/** [[p_neg, p_pos], ...] (STEP pooling with softmax) or [p, ...] (one probability per step) → 2p − 1 per step. */
export function stepScores(data: unknown, i: number): number[] {
  if (!Array.isArray(data) || data.length === 0)
    throw new BackendError(`reward result ${i}: expected per-step scores, got ${JSON.stringify(data)?.slice(0, 80)}`);
  return data.map((row, s) => {
    const p = Array.isArray(row) ? (row.length === 2 ? row[1] : row.length === 1 ? row[0] : NaN) : row;
    if (typeof p !== 'number' || !Number.isFinite(p))
      throw new BackendError(`reward result ${i}, step ${s}: expected [p_neg, p_pos], got ${JSON.stringify(row)?.slice(0, 80)}`);
    return 2 * p - 1;
  });
}

export function aggregate(scores: number[], how: StepAggregate): number {
  if (how === 'last') return scores[scores.length - 1];
  if (how === 'min') return Math.min(...scores);
  if (how === 'mean') return scores.reduce((a, b) => a + b, 0) / scores.length;
  // prod of probabilities, mapped back to [-1, 1]
  return 2 * scores.reduce((a, s) => a * ((s + 1) / 2), 1) - 1;
}

/** The steps of a (partial) rStar solution: `<code>` removed, split at `<end_of_step>`; the final block is the last step. */
export function rstarSteps(partial: string): string[] {
  const body = partial.replace(/^\s*/, '').replace(new RegExp(`^${escapeRegExp(TAGS.code)}\\n?`), '');
  return body
    .split(TAGS.endOfStep)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
