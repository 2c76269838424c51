import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rstar } from './helpers/cli.js';
import { loadReport, renderMarkdown } from '../src/evolve/report.js';
import { ResultsWriter, writeMeta, META_FORMAT } from '../src/eval/results-file.js';
import type { ProblemResult } from '../src/eval/types.js';
import type { EvolveRound, EvolveState } from '../src/evolve/layout.js';

function result(id: string, level: number, correct: boolean, tokens: number): ProblemResult {
  return { id, level, gold: '1', prediction: '', answer: correct ? '1' : '2', verdict: correct ? 'correct' : 'wrong', correct, tokens, ms: 1 };
}

function writeEval(run: string, rel: string, mode: string, rows: ProblemResult[]): void {
  const file = join(run, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  const w = new ResultsWriter(file, false);
  rows.forEach((r) => w.write(r));
  w.close();
  writeMeta(file, { format: META_FORMAT, data: 't', dataset: 't', datasetHash: 'h', mode, seed: 0, config: { n: 4 }, reward: null, oracle: false, created: 'x', sessions: [{ started: 'x', wallSeconds: 2, problems: rows.length }] });
}

const round = (r: number, extra: Partial<EvolveRound> = {}): EvolveRound => ({
  round: r,
  status: 'complete',
  policy: `p${r}`,
  ppm: r ? `q${r}` : null,
  synth: null,
  coverage: null,
  sftExamples: null,
  ppmPairs: null,
  ppmPairAccuracy: null,
  eval: {},
  wallSeconds: {},
  ...extra,
});

/** A synthetic run: round 0 greedy, round 1 greedy + MCTS, with known per-level accuracies. */
function buildRun(dir: string): string {
  const run = join(dir, 'run');
  mkdirSync(run, { recursive: true });
  // Level 1: 2/2 then 2/2; level 4: 0/2 then 1/2 (greedy) and 2/2 (MCTS).
  writeEval(run, 'round-0/eval/greedy.jsonl', 'greedy', [result('a', 1, true, 10), result('b', 1, true, 30), result('c', 4, false, 50), result('d', 4, false, 70)]);
  writeEval(run, 'round-1/eval/greedy.jsonl', 'greedy', [result('a', 1, true, 10), result('b', 1, true, 10), result('c', 4, true, 40), result('d', 4, false, 40)]);
  writeEval(run, 'round-1/eval/mcts.jsonl', 'mcts', [result('a', 1, true, 100), result('b', 1, true, 100), result('c', 4, true, 300), result('d', 4, true, 500)]);
  const state: EvolveState = {
    format: 'rstar-ts/evolve@1',
    config: { train: 'train.jsonl', rounds: [{ guide: 'terminal', rollouts: 8 }] },
    command: 'rstar evolve --config c.yaml --out run',
    started: 's',
    updated: 'u',
    testSet: 'test-set',
    evalN: 4,
    rounds: [
      round(0, { eval: { greedy: 'round-0/eval/greedy.jsonl' } }),
      round(1, {
        eval: { greedy: 'round-1/eval/greedy.jsonl', mcts: 'round-1/eval/mcts.jsonl' },
        coverage: { solved: 3, total: 4, perLevel: { '1': { n: 2, solved: 2 }, '4': { n: 2, solved: 1 } } },
        synth: { guide: 'terminal', rollouts: 8, problems: 4, solved: 3, tokens: 1234, wallSeconds: 60 },
        sftExamples: 5,
        ppmPairs: 7,
        ppmPairAccuracy: 0.75,
        wallSeconds: { synth: 60, 'train-policy': 30, 'train-ppm': 10, eval: 20 },
      }),
    ],
  };
  writeFileSync(join(run, 'evolve.json'), JSON.stringify(state));
  return run;
}

test('report: tables computed from the eval results, headline series, round stats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-'));
  try {
    const run = buildRun(dir);
    const rep = loadReport(run);
    assert.deepEqual(rep.levels, ['1', '4']);
    const md = renderMarkdown(rep, { rounds: 'rounds.svg' });
    assert.match(md, /\| 0 \| 50\.0 \| — \| — \|/);
    assert.match(md, /\| 1 \| 75\.0 \| 100\.0 \| 75\.0 \|/);
    // Round 0, level 4: 0/2 with (50+70)/2 tokens; round 1 level 4 MCTS: 2/2 with 400 tokens.
    assert.match(md, /### Round 0 \(bootstrap\)[^#]*\| 4 \| 0\.0 \(60\) \| — \| — \| — \|/);
    assert.match(md, /### Round 1[^#]*\| 4 \| 50\.0 \(40\) \| — \| — \| 100\.0 \(400\) \|/);
    assert.match(md, /\| 1 \| terminal × 8 \| 4 \| 3 \| 1234 \| 3\/4 \(L1 2\/2, L4 1\/2\) \| 5 \| 7 \| 75\.0 \| 60 \/ 30 \/ 10 \/ 20 \|/);
    assert.match(md, /!\[accuracy per round\]\(rounds\.svg\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rstar report writes Markdown and valid SVG plots; bad runs get clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-report-cli-'));
  try {
    const run = buildRun(dir);
    const out = join(dir, 'out');
    const r = rstar(['report', '--run', run, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(out, 'README.md'), 'utf8');
    for (const f of ['rounds', 'levels', 'tokens', 'coverage']) {
      assert.match(md, new RegExp(`\\(${f}\\.svg\\)`));
      const svg = readFileSync(join(out, `${f}.svg`), 'utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>$/);
    }
    assert.match(readFileSync(join(out, 'rounds.svg'), 'utf8'), /PPM-guided MCTS/);
    assert.match(readFileSync(join(out, 'levels.svg'), 'utf8'), /greedy L4/);

    const missing = rstar(['report', '--run', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\/evolve\.json: not found \(is this an rstar evolve run directory\?\)/);
    // A corrupt line in the middle of a results file is reported with its line number.
    const f = join(run, 'round-1', 'eval', 'greedy.jsonl');
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.splice(1, 0, '{not json');
    writeFileSync(f, lines.join('\n'));
    appendFileSync(f, '');
    const bad = rstar(['report', '--run', run, '--out', out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /greedy\.jsonl:2: invalid result record/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
