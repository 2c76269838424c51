import { TAGS, EOS, formatPrompt, parseSolution, accumulatedCode, formatOutput } from '../steps/protocol.js';
import type { SearchConfig, SearchDeps } from './types.js';

/** One proposed next step, executed. */
export interface StepCandidate {
  /** The generated chunk: the step text and its closing tag (`<end_of_step>` or `<end_of_code>`). */
  text: string;
  tokens: number;
  /** Closed the code block: the path is complete and its output/answer are known. */
  terminal: boolean;
  execStatus: string;
  output: string;
  error: string | null;
  /** For terminal candidates: the answer sentence generated after the output, and its extracted answer. */
  answerText: string | null;
  answer: string | null;
  /** Generation ran out of tokens before closing the step. */
  truncated: boolean;
}

/** One expansion: the new candidates and every policy token it cost (merged duplicates and empty proposals included). */
export interface Expansion {
  candidates: StepCandidate[];
  tokens: number;
}

/** What to expand: the policy proposes `n` next steps after `prefix` (the path's text so far). */
export interface ExpandOptions {
  question: string;
  prefix: string;
  n: number;
  seed: number;
  /** Policy, executor and judge; the caller wraps them (./meter.ts) to count and time the calls. */
  deps: Pick<SearchDeps, 'policy' | 'executor' | 'judge'>;
  cfg: SearchConfig;
}

/**
 * Step-level expansion, the unit MCTS and beam search are built on: the policy proposes `n` next
 * steps for the path `prefix` (one batched request, stop at `<end_of_step>`/`<end_of_code>`), duplicate
 * proposals are merged, the accumulated code of each new path is executed, and terminal paths get
 * their output appended and an answer sentence generated.
 *
 * Sandbox semantics (as rStar-math): the whole path's code runs at every step, so a step is an error
 * node when the accumulated program fails; its output is the program's stdout.
 */
export async function expandStep({ question, prefix, n, seed, deps, cfg }: ExpandOptions): Promise<Expansion> {
  const prompt = formatPrompt(question) + prefix;
  const [proposals] = await deps.policy.generate([
    { prompt, n, maxTokens: cfg.maxStepTokens, temperature: cfg.temperature, topP: cfg.topP, stop: [TAGS.endOfStep, TAGS.endOfCode, EOS], seed },
  ]);
  let tokens = proposals.reduce((a, p) => a + p.tokens, 0);
  const seen = new Set<string>();
  const unique = proposals.filter((p) => {
    const key = p.text.trim();
    if (key === '' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const programs = unique.map((p) => accumulatedCode(parseSolution(prefix + p.text).steps));
  const results = await Promise.all(programs.map((code) => deps.executor.run(code, { timeoutMs: cfg.execTimeoutMs })));
  const candidates = unique.map((p, i): StepCandidate => {
    const terminal = p.text.includes(TAGS.endOfCode);
    const truncated = !terminal && !p.text.includes(TAGS.endOfStep);
    const res = results[i];
    return {
      text: p.text,
      tokens: p.tokens,
      terminal,
      execStatus: res.status,
      output: res.stdout,
      error: res.error,
      answerText: null,
      answer: null,
      truncated,
    };
  });
  const finishing = candidates.filter((c) => c.terminal && c.execStatus === 'ok');
  if (finishing.length > 0) {
    const answers = await deps.policy.generate(
      finishing.map((c, i) => ({
        prompt: prompt + c.text + '\n' + formatOutput(c.output),
        n: 1,
        maxTokens: cfg.maxAnswerTokens,
        temperature: 0,
        topP: 1,
        stop: [TAGS.endOfAnswer, EOS],
        seed: seed + 7919 * (i + 1),
      })),
    );
    finishing.forEach((c, i) => {
      const a = answers[i][0];
      c.answerText = '\n' + formatOutput(c.output) + a.text;
      c.tokens += a.tokens;
      tokens += a.tokens;
      const sentence = parseSolution(prefix + c.text + c.answerText).answer;
      c.answer = sentence === null ? null : deps.judge.extract(sentence);
    });
  }
  return { candidates, tokens };
}
