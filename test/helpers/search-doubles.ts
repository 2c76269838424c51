// Scripted doubles for search unit tests: a policy driven by a function of the path so far, an
// executor that understands `print(X)` and `fail`, an exact-match judge, and a scripted reward model.
import type { Completion, GenerateRequest, Policy, RewardModel } from '../../src/models/types.js';
import type { Executor, ExecResult } from '../../src/sandbox/types.js';
import type { Judge } from '../../src/grade/types.js';
import { ASSISTANT_PREFIX, TAGS, lastBoxed } from '../../src/steps/protocol.js';
import { Rng } from '../../src/util/rng.js';

/** Path text after the prompt's assistant preamble. */
export function prefixOf(prompt: string): string {
  return prompt.slice(prompt.indexOf(ASSISTANT_PREFIX) + ASSISTANT_PREFIX.length);
}

export function depthOf(prefix: string): number {
  return prefix.split(TAGS.endOfStep).length - 1;
}

export class ScriptedPolicy implements Policy {
  readonly name = 'scripted';
  calls: GenerateRequest[][] = [];
  constructor(private readonly propose: (prefix: string, i: number, rng: Rng, n: number) => string) {}
  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    this.calls.push(requests);
    await new Promise((r) => setImmediate(r));
    return requests.map((req) => {
      const rng = new Rng(req.seed ?? 1);
      if (req.stop.includes(TAGS.endOfAnswer)) {
        const m = /<output>([\s\S]*?)<end_of_output>\n?$/.exec(req.prompt);
        const text = `${TAGS.answer}The answer is \\boxed{${(m?.[1] ?? '').trim()}}.\n${TAGS.endOfAnswer}`;
        return [{ text, tokens: 5, finishReason: 'stop' as const }];
      }
      const prefix = prefixOf(req.prompt);
      return Array.from({ length: req.n }, (_, i) => {
        const text = this.propose(prefix, i, rng, req.n);
        return { text, tokens: Math.max(1, Math.ceil(text.length / 4)), finishReason: 'stop' as const };
      });
    });
  }
  async close(): Promise<void> {}
}

/** Runs "programs" made of `print(X)` lines; a line containing `fail` makes the run an error. */
export class ScriptedExecutor implements Executor {
  runs = 0;
  async run(code: string): Promise<ExecResult> {
    this.runs++;
    await new Promise((r) => setImmediate(r));
    if (/fail/.test(code)) return { status: 'error', stdout: '', error: 'NameError: fail', ms: 0 };
    const out = [...code.matchAll(/print\(([^)]*)\)/g)].map((m) => m[1]).join('\n');
    return { status: 'ok', stdout: out === '' ? '' : out + '\n', error: null, ms: 0 };
  }
  async close(): Promise<void> {}
}

export const exactJudge: Judge = {
  extract: (t) => lastBoxed(t),
  equal: (p, g) => (Array.isArray(g) ? g : [g]).some((x) => x.trim() === p.trim()),
};

export class ScriptedReward implements RewardModel {
  readonly name = 'scripted-reward';
  calls: string[][] = [];
  constructor(private readonly f: (text: string) => number) {}
  async score(texts: string[]): Promise<number[]> {
    this.calls.push(texts);
    await new Promise((r) => setImmediate(r));
    return texts.map(this.f);
  }
  async close(): Promise<void> {}
}

export const step = (body: string): string => `${body}\n${TAGS.endOfStep}`;
export const finalStep = (body: string): string => `${body}\n${TAGS.endOfCode}`;
