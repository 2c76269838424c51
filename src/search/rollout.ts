import { TAGS, EOS, formatPrompt, parseSolution, accumulatedCode, formatOutput } from '../steps/protocol.js';
import type { SearchConfig, SearchDeps, Trajectory } from './types.js';

/**
 * Generates `n` complete solutions for a question the way a tool-integrated policy does: the model
 * writes the code block (up to `<end_of_code>`), the sandbox runs it, the real output is appended,
 * and the model writes the answer sentence with `\boxed{}`.
 */
export async function sampleSolutions(
  question: string,
  n: number,
  temperature: number,
  deps: SearchDeps,
  cfg: SearchConfig,
  seed: number,
): Promise<Trajectory[]> {
  const prompt = formatPrompt(question);
  const [codeParts] = await deps.policy.generate([
    { prompt, n, maxTokens: cfg.maxSolutionTokens, temperature, topP: cfg.topP, stop: [TAGS.endOfCode, EOS], seed },
  ]);
  return Promise.all(
    codeParts.map(async (c, i) => {
      const traj: Trajectory = { text: c.text, output: null, execStatus: null, execError: null, answer: null, tokens: c.tokens };
      if (!c.text.includes(TAGS.endOfCode)) return traj;
      const parsed = parseSolution(c.text);
      const code = accumulatedCode(parsed.steps);
      const res = await deps.executor.run(code, { timeoutMs: cfg.execTimeoutMs });
      traj.execStatus = res.status;
      traj.output = res.status === 'ok' ? res.stdout : null;
      traj.execError = res.error;
      const observed = res.status === 'ok' ? res.stdout : (res.error ?? res.status);
      traj.text += '\n' + formatOutput(observed);
      if (res.status !== 'ok') return traj;
      const [ans] = await deps.policy.generate([
        {
          prompt: prompt + traj.text,
          n: 1,
          maxTokens: cfg.maxAnswerTokens,
          temperature: 0,
          topP: 1,
          stop: [TAGS.endOfAnswer, EOS],
          seed: seed + i,
        },
      ]);
      traj.text += ans[0].text;
      traj.tokens += ans[0].tokens;
      const answerPart = parseSolution(traj.text).answer;
      traj.answer = answerPart === null ? null : deps.judge.extract(answerPart);
      return traj;
    }),
  );
}
