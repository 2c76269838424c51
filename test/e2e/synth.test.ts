import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import { readRun, selectProblems, type SynthRecord } from '../../src/synth/synth-run.js';
import { solveRate } from '../../src/synth/tiers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function synthArgs(data: string, out: string, seed = 11): string[] {
  return [
    'synth',
    '--data',
    data,
    '--out',
    out,
    '--rollouts',
    '3',
    '--candidates',
    '3',
    '--max-depth',
    '8',
    '--concurrency',
    '2',
    '--seed',
    String(seed),
    '--json',
  ];
}

/** What must be identical between runs: every node's content and statistics (not wall times). */
function fingerprint(records: SynthRecord[]): string {
  return JSON.stringify(
    [...records]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => ({
        id: r.id,
        answer: r.answer,
        tier: r.tier,
        nodes: r.tree.nodes.map((n) => [n.text, n.visits, n.qSum, n.terminal, n.correct, n.execStatus]),
      })),
  );
}

const recordsOnDisk = (out: string): number => {
  const dir = join(out, 'trees');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((acc, n) => acc + (n.endsWith('.jsonl') ? readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean).length : 0), 0);
};

test('synth killed with SIGKILL several times resumes to exactly the uninterrupted result', { timeout: 400_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-synth-'));
  const data = join(dir, 'p.jsonl');
  const problems = [
    ...generateProblems({ level: 2, count: 4, seed: 21, split: 'train' }),
    ...generateProblems({ level: 3, count: 4, seed: 21, split: 'train' }),
  ];
  writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');

  const clean = join(dir, 'clean');
  const r = rstar(synthArgs(data, clean), { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const cleanRecords = readRun(clean);
  assert.equal(cleanRecords.length, problems.length);

  const killed = join(dir, 'killed');
  let kills = 0;
  for (let attempt = 0; attempt < 6 && kills < 3; attempt++) {
    const before = recordsOnDisk(killed);
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), ...synthArgs(data, killed)], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Kill once at least one more problem is on disk (or give up waiting and let it finish).
    const t0 = Date.now();
    let done = false;
    exited.then(() => (done = true));
    while (!done && recordsOnDisk(killed) <= before && Date.now() - t0 < 60_000) await sleep(50);
    if (!done) {
      child.kill('SIGKILL');
      kills++;
    }
    await exited;
    if (done) break;
  }
  assert.ok(kills >= 1, 'the run should have been killed at least once');
  const final = rstar(synthArgs(data, killed), { timeoutMs: 300_000 });
  assert.equal(final.code, 0, final.stderr);
  const summary = JSON.parse(final.stdout);
  assert.equal(summary.problems, problems.length);
  const killedRecords = readRun(killed);
  assert.equal(killedRecords.length, problems.length, 'no problem lost or done twice');
  assert.equal(fingerprint(killedRecords), fingerprint(cleanRecords));
  const manifest = JSON.parse(readFileSync(join(killed, 'manifest.json'), 'utf8'));
  assert.equal(manifest.status, 'complete');

  // SFT extraction from the run: only correct, error-free paths, at most 2 per problem.
  const sft = join(dir, 'sft.jsonl');
  const ex = rstar(['extract', 'sft', '--run', killed, '--out', sft, '--per-problem', '2', '--json']);
  assert.equal(ex.code, 0, ex.stderr);
  const rows = readFileSync(sft, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const perProblem = new Map<string, number>();
  for (const row of rows) {
    perProblem.set(row.problem_id, (perProblem.get(row.problem_id) ?? 0) + 1);
    assert.match(row.completion, /\\boxed\{/);
    const gold = problems.find((p) => p.id === row.problem_id)!.answer;
    assert.ok(row.completion.includes(`\\boxed{${gold}}`), `${row.problem_id}: extracted trajectory must end in the gold answer`);
  }
  assert.ok([...perProblem.values()].every((n) => n <= 2));
  assert.ok(rows.length > 0, 'level-2 problems are solvable by the round-0 model');
});

test('synth refuses to resume a run with different settings, and rejects bad problem files up front', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-synth-bad-'));
  const data = join(dir, 'p.jsonl');
  writeFileSync(data, '{"id":"a","question":"q?","answer":"1"}\n{"id":"a","question":"r?","answer":"2"}\n');
  const r = rstar(synthArgs(data, join(dir, 'out')));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /duplicate id "a"/);
  assert.ok(!existsSync(join(dir, 'out')), 'nothing is written for a rejected file');
  const ok = join(dir, 'ok.jsonl');
  writeFileSync(ok, JSON.stringify(generateProblems({ level: 1, count: 1, seed: 1, split: 'train' })[0]) + '\n');
  assert.equal(rstar(synthArgs(ok, join(dir, 'run'))).code, 0);
  const again = rstar(synthArgs(ok, join(dir, 'run'), 12));
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /cannot resume: seed was 11, now 12/);
});

test('synth --only unsolved --from PREV reruns only what no earlier run solved, with a new seed', { timeout: 400_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstar-synth-only-'));
  const data = join(dir, 'p.jsonl');
  const problems = [
    ...generateProblems({ level: 1, count: 2, seed: 31, split: 'train' }),
    ...generateProblems({ level: 4, count: 2, seed: 31, split: 'train' }),
  ];
  writeFileSync(data, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const small = ['--rollouts', '2', '--candidates', '3', '--max-depth', '6', '--concurrency', '4', '--json'];
  const prev = join(dir, 'prev');
  const first = rstar(['synth', '--data', data, '--out', prev, '--seed', '11', ...small], { timeoutMs: 300_000 });
  assert.equal(first.code, 0, first.stderr);
  const unsolved = readRun(prev)
    .filter((r) => solveRate(r.tree).correct === 0)
    .map((r) => r.id);
  assert.ok(unsolved.length < problems.length, 'the level-1 problems are solved by the round-0 model');
  assert.deepEqual(
    selectProblems(problems, { only: 'unsolved', from: [prev] }).map((p) => p.id),
    problems.map((p) => p.id).filter((id) => unsolved.includes(id)),
  );

  // The same seed would grow the same trees: refused, naming the seed and the earlier run.
  const clash = rstar(['synth', '--data', data, '--out', join(dir, 'clash'), '--only', 'unsolved', '--from', prev, '--seed', '11', ...small]);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /--seed 11 is the seed of the earlier run .*prev \(seed 11\)/);
  assert.ok(!existsSync(join(dir, 'clash')));
  assert.match(rstar(['synth', '--data', data, '--out', join(dir, 'x'), '--only', 'hard', ...small]).stderr, /--only needs --from/);

  // No --seed: derived from the earlier run's (11 + 1); more rollouts on the unsolved ones.
  const again = join(dir, 'again');
  const args = [
    'synth',
    '--data',
    data,
    '--out',
    again,
    '--only',
    'unsolved',
    '--from',
    prev,
    '--rollouts',
    '3',
    '--candidates',
    '3',
    '--max-depth',
    '6',
    '--concurrency',
    '4',
    '--json',
  ];
  const r = rstar(args, { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`selected ${unsolved.length} of ${problems.length} problems \\(unsolved in `));
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.seed, 12);
  assert.equal(summary.problems, unsolved.length);
  assert.deepEqual(
    readRun(again)
      .map((x) => x.id)
      .sort(),
    [...unsolved].sort(),
  );
  const manifest = JSON.parse(readFileSync(join(again, 'manifest.json'), 'utf8'));
  assert.deepEqual([manifest.config.seed, manifest.config.only, manifest.config.from, manifest.config.selected], [12, 'unsolved', [prev], unsolved.length]);
  assert.equal(manifest.status, 'complete');
  // Rerunning the same command resumes (nothing to do); other filtering is refused.
  assert.equal(rstar(args, { timeoutMs: 300_000 }).code, 0);
  const other = rstar(args.map((a) => (a === 'unsolved' ? 'hard' : a)));
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /cannot resume: only was "unsolved", now "hard"/);
  const self = rstar(['synth', '--data', data, '--out', prev, '--only', 'unsolved', '--from', prev, ...small]);
  assert.notEqual(self.code, 0);
  assert.match(self.stderr, /cannot be its own --from run/);
});
