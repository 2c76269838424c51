/**
 * Runs for the viewer's tests, made by the real code paths: terminal-guided MCTS (src/search) over a
 * scripted policy whose steps carry HTML/script payloads, Python executed in the real sandbox, the
 * real grader; a synthesis run written by runSynth (shards, manifest), an eval results file with
 * saved trees written by runEval, and an evolve run's state listing them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { depthOf, finalStep, prefixOf, step } from './search-doubles.js';
import { TAGS } from '../../src/steps/protocol.js';
import type { Completion, GenerateRequest, Policy } from '../../src/models/types.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createJudge } from '../../src/grade/index.js';
import { runSynth, type SynthRecord } from '../../src/synth/synth-run.js';
import { runEval } from '../../src/eval/run-eval.js';
import { DEFAULT_SEARCH_CONFIG, type SearchConfig } from '../../src/search/types.js';
import type { ProblemResult } from '../../src/eval/types.js';
import type { EvolveState } from '../../src/evolve/state.js';

/** Strings that would run script if the page rendered model text as HTML. */
export const XSS = {
  script: '<script>window.__pwned = 1; alert("step")</script>',
  img: '<img src=x onerror="window.__pwned = 2; alert(1)">',
  question: '<b onmouseover=alert(3)>bold?</b></script><script>alert(4)</script>',
};

export const PROBLEMS = [
  { id: 'p-add', level: 1, question: `What is 2 + 3? ${XSS.question}`, answer: '5' },
  { id: 'p-mul', level: 2, question: 'What is 4 * 6?', answer: '24' },
  { id: 'p-sub', level: 2, question: 'What is 10 - 7?', answer: '3' },
];

/**
 * Root: a good first step (carries the <script> payload in its comment), a final step (on the
 * addition: printing the <img onerror> payload, a wrong answer), a failing step, and a step cut off before its end tag.
 * Deeper: the right answer, or a wrong one.
 */
class FixturePolicy implements Policy {
  readonly name = 'fixture';
  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    await new Promise((r) => setImmediate(r));
    return requests.map((req) => {
      if (req.stop.includes(TAGS.endOfAnswer)) {
        const m = /<output>([\s\S]*?)<end_of_output>\n?$/.exec(req.prompt);
        return [{ text: `${TAGS.answer}The answer is \\boxed{${(m?.[1] ?? '').trim()}}.\n${TAGS.endOfAnswer}`, tokens: 5, finishReason: 'stop' as const }];
      }
      const q = /What is (\d+) ([-+*]) (\d+)\?/.exec(req.prompt);
      const expr = q ? `${q[1]} ${q[2]} ${q[3]}` : '0';
      const d = depthOf(prefixOf(req.prompt));
      return Array.from({ length: req.n }, (_, i) => {
        let text: string;
        if (d > 0) text = finalStep(i === 0 ? 'print(x)' : 'print(x + 1)');
        else if (i === 0) text = step(`# compute it ${XSS.script}\nx = ${expr}`);
        else if (i === 1) text = finalStep(q?.[2] === '+' ? `print(${JSON.stringify(XSS.img)})` : 'print(x)');
        else if (i === 2) text = step('undefined_name + 1');
        else text = 'y = 2 # no end of step';
        return { text, tokens: Math.ceil(text.length / 4), finishReason: 'stop' as const };
      });
    });
  }
  async close(): Promise<void> {}
}

export const SEARCH: SearchConfig = {
  ...DEFAULT_SEARCH_CONFIG,
  mode: 'mcts',
  guide: 'terminal',
  rollouts: 6,
  candidates: 4,
  maxDepth: 4,
  temperature: 1,
  seed: 7,
};

export interface ViewRun {
  /** The evolve run directory. */
  run: string;
  /** Its round-1 synthesis run. */
  synth: string;
  /** Its round-1 MCTS eval results file (records name their trees). */
  evalFile: string;
  records: SynthRecord[];
  results: ProblemResult[];
}

export async function buildViewRun(dir: string): Promise<ViewRun> {
  const run = join(dir, 'evolve-run');
  const synth = join(run, 'round-1', 'synth');
  const evalFile = join(run, 'round-1', 'eval', 'mcts.jsonl');
  mkdirSync(join(run, 'round-1', 'eval'), { recursive: true });
  const sandbox = await createSandbox({ workers: 1 });
  try {
    const deps = { policy: new FixturePolicy(), executor: sandbox, judge: createJudge() };
    const { records } = await runSynth(
      PROBLEMS,
      deps,
      SEARCH,
      {
        data: 'fixture',
        dataSha256: 'x',
        policy: 'scripted',
        policySha256: null,
        seed: 7,
        mode: 'mcts',
        rollouts: 6,
        candidates: 4,
        maxDepth: 4,
        temperature: 1,
      },
      { out: synth, concurrency: 3 },
    );
    const { results } = await runEval(
      PROBLEMS,
      deps,
      { ...SEARCH, guide: 'auto', keepTree: false },
      { concurrency: 3, outFile: evalFile, treesDir: join(run, 'round-1', 'eval', 'trees'), data: 'fixture', dataset: 'fixture' },
    );
    const state: EvolveState = {
      format: 'rstar-ts/evolve@1',
      config: { rounds: [{ guide: 'terminal', rollouts: 6 }] },
      command: 'rstar evolve --config fixture.yaml --out evolve-run',
      started: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-01T00:10:00.000Z',
      stageTimes: 'checkpointed',
      testSet: 'fixture',
      evalN: 6,
      rounds: [
        {
          round: 1,
          status: 'complete',
          policy: 'round-1/policy',
          ppm: null,
          synth: { guide: 'terminal', rollouts: 6, problems: 3, solved: records.filter((r) => r.correctTerminals > 0).length, tokens: 100, wallSeconds: 1 },
          coverage: { solved: records.filter((r) => r.correctTerminals > 0).length, total: 3, perLevel: {} },
          sftExamples: 3,
          ppmPairs: 2,
          ppmPairAccuracy: 0.5,
          eval: { mcts: 'round-1/eval/mcts.jsonl' },
          wallSeconds: { synth: 1, eval: 1 },
        },
      ],
    };
    writeFileSync(join(run, 'evolve.json'), JSON.stringify(state));
    return { run, synth, evalFile, records, results };
  } finally {
    await sandbox.close();
  }
}
