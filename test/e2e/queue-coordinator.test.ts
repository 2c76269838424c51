import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { rstar } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { startRedis } from '../helpers/redis.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import { readRun, type SynthRecord } from '../../src/synth/synth-run.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `rstar …` as a child process, its output collected. */
function spawnRstar(args: string[]): Proc {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rstar.js'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Records durably in a run's shards so far (plain and sealed). */
const recordsOnDisk = (out: string): number => {
  const dir = join(out, 'trees');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.jsonl')) n += readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
    else if (f.endsWith('.jsonl.gz'))
      n += gunzipSync(readFileSync(join(dir, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean).length;
  }
  return n;
};

/** What must be identical between runs: every node's content and statistics (not wall times). */
function fingerprint(records: SynthRecord[]): string {
  return JSON.stringify(
    [...records]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => ({
        id: r.id,
        answer: r.answer,
        tier: r.tier,
        tokens: r.tokens,
        solveRate: r.solveRate,
        nodes: r.tree.nodes.map((n) => [n.text, n.visits, n.qSum, n.terminal, n.correct, n.execStatus]),
      })),
  );
}

const SEARCH = ['--rollouts', '2', '--candidates', '2', '--max-depth', '4', '--seed', '3'];

test('synth over a fleet: 3 workers, one SIGKILLed, the coordinator and Redis SIGKILLed and rerun; the run equals a local one; a poison problem ends failed', {
  timeout: 420_000,
}, async () => {
  const redis = await startRedis();
  const procs: Proc[] = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'rstar-fleet-'));
    const problems = generateProblems({ level: 1, count: 40, seed: 5, split: 'train' });
    // A problem whose prompt does not fit the policy's 1024-token context: every attempt fails.
    const poison = {
      id: 'poison-long',
      question: `Tom has 3 apples and buys 2 more. ${'He counts them again, slowly and carefully. '.repeat(150)}How many apples does he have?`,
      answer: '5',
      level: 1,
    };
    const localData = join(dir, 'local.jsonl');
    const fleetData = join(dir, 'fleet.jsonl');
    writeFileSync(localData, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
    writeFileSync(fleetData, [...problems.slice(0, 20), poison, ...problems.slice(20)].map((p) => JSON.stringify(p)).join('\n') + '\n');

    const localDir = join(dir, 'local');
    const local = rstar(['synth', '--data', localData, '--out', localDir, ...SEARCH, '--concurrency', '16', '--json'], { timeoutMs: 300_000 });
    assert.equal(local.code, 0, local.stderr);

    const fleetDir = join(dir, 'fleet');
    const coordArgs = ['synth', '--data', fleetData, '--out', fleetDir, ...SEARCH, '--attempts', '3', '--queue', redis.url, '--json'];
    const coord = spawnRstar(coordArgs);
    procs.push(coord);
    await waitFor('the coordinator to publish the run', () => existsSync(join(fleetDir, 'manifest.json')), 60_000);
    // The lock is generous: a worker slowed by a loaded machine must not be taken for a dead one.
    const workers = [0, 1, 2].map(() =>
      spawnRstar(['worker', '--queue', redis.url, '--concurrency', '8', '--lock-ms', '8000', '--idle-exit', '5', '--quiet', '--json']),
    );
    procs.push(...workers);

    // A worker dies mid-run holding jobs: they are retried by the others once its lock expires.
    await waitFor('5 records', () => recordsOnDisk(fleetDir) >= 5, 240_000);
    workers[0].child.kill('SIGKILL');
    // The coordinator dies, and so does Redis (its append-only file keeps the queue).
    await waitFor('15 records', () => recordsOnDisk(fleetDir) >= 15, 240_000);
    coord.child.kill('SIGKILL');
    const killed = await coord.done;
    assert.equal(killed.signal, 'SIGKILL');
    await redis.kill();
    await sleep(1000);
    await redis.restart();

    // Rerun the same command: it resumes from the run directory and the queue.
    const again = spawnRstar(coordArgs);
    procs.push(again);
    const final = await again.done;
    assert.equal(final.code, 1, `the poison problem fails the run: ${final.stderr}`);
    assert.match(
      final.stderr,
      /problem poison-long failed after 3 attempts: problem poison-long: its prompt is \d+ tokens, no shorter than the policy's context \(1024\)/,
    );
    const summary = JSON.parse(final.stdout);
    assert.equal(summary.problems, 41);
    assert.deepEqual(
      summary.failed.map((f: { id: string }) => f.id),
      ['poison-long'],
    );
    const manifest = JSON.parse(readFileSync(join(fleetDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.status, 'incomplete');
    assert.equal(manifest.failed[0].attempts, 3);
    assert.match(manifest.failed[0].error, /context/);

    // The same problems, one record each, the same trees as the local run.
    const fleetRecords = readRun(fleetDir);
    assert.equal(fleetRecords.length, 40, 'no problem lost or done twice');
    assert.equal(new Set(fleetRecords.map((r) => r.id)).size, 40);
    assert.equal(recordsOnDisk(fleetDir), 40, 'one line per problem in the shards');
    const localRecords = readRun(localDir);
    assert.deepEqual(fleetRecords.map((r) => r.id).sort(), localRecords.map((r) => r.id).sort());
    assert.equal(fingerprint(fleetRecords), fingerprint(localRecords));
    assert.deepEqual(manifest.config.seed, 3);
    assert.deepEqual(manifest.search, JSON.parse(readFileSync(join(localDir, 'manifest.json'), 'utf8')).search);

    // `rstar extract sft` gives the same file.
    const sftLocal = join(dir, 'sft-local.jsonl');
    const sftFleet = join(dir, 'sft-fleet.jsonl');
    for (const [run, out] of [
      [localDir, sftLocal],
      [fleetDir, sftFleet],
    ]) {
      const ex = rstar(['extract', 'sft', '--run', run, '--out', out, '--json']);
      assert.equal(ex.code, 0, ex.stderr);
    }
    assert.ok(readFileSync(sftLocal, 'utf8').length > 0, 'some level-1 problems are solved');
    assert.equal(readFileSync(sftFleet, 'utf8'), readFileSync(sftLocal, 'utf8'));

    // The surviving workers leave once the run is finished; between them they did the work.
    const left = await Promise.all(workers.slice(1).map((w) => w.done));
    for (const w of left) assert.equal(w.code, 0, w.stderr);
    const done = left.map((w) => JSON.parse(w.stdout).completed as number);
    assert.ok(
      done.every((n) => n > 0),
      `both surviving workers took jobs: ${done}`,
    );
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await redis.stop();
  }
});

test('eval over the queue writes the same results file as a local eval', { timeout: 300_000 }, async () => {
  const redis = await startRedis();
  const procs: Proc[] = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'rstar-fleet-eval-'));
    const data = join(dir, 'p.jsonl');
    writeFileSync(
      data,
      generateProblems({ level: 2, count: 6, seed: 8, split: 'test' })
        .map((p) => JSON.stringify(p))
        .join('\n') + '\n',
    );
    const args = (out: string) => [
      'eval',
      '--data',
      data,
      '--mode',
      'mcts',
      '--rollouts',
      '2',
      '--candidates',
      '2',
      '--max-depth',
      '4',
      '--out',
      out,
      '--save-trees',
      join(dir, `${out.endsWith('q.jsonl') ? 'q' : 'l'}-trees`),
      '--quiet',
      '--json',
    ];
    const local = rstar(args(join(dir, 'l.jsonl')), { timeoutMs: 200_000 });
    assert.equal(local.code, 0, local.stderr);
    const worker = spawnRstar(['worker', '--queue', redis.url, '--concurrency', '8', '--idle-exit', '3', '--quiet']);
    procs.push(worker);
    const queued = rstar([...args(join(dir, 'q.jsonl')), '--queue', redis.url], { timeoutMs: 200_000 });
    assert.equal(queued.code, 0, queued.stderr);
    const rows = (f: string) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const r = JSON.parse(l);
          delete r.ms;
          // The tree file, without its wall times (wallMs, policyMs, …).
          r.tree = readFileSync(join(dir, r.tree), 'utf8').replace(/"(ms|\w+Ms)":[\d.e+-]+,?/g, '');
          return JSON.stringify(r);
        })
        .sort();
    const [q, l] = [rows(join(dir, 'q.jsonl')), rows(join(dir, 'l.jsonl'))];
    assert.equal(q.length, 6);
    for (let i = 0; i < l.length; i++) assert.ok(q[i] === l[i], `record ${i} differs:\n${q[i].slice(0, 400)}\n${l[i].slice(0, 400)}`);
    const meta = (f: string) => {
      const m = JSON.parse(readFileSync(f, 'utf8'));
      delete m.created;
      delete m.sessions;
      return m;
    };
    assert.deepEqual(meta(join(dir, 'q.jsonl.meta.json')), meta(join(dir, 'l.jsonl.meta.json')));
    const s = JSON.parse(queued.stdout);
    assert.equal(s.n, 6);
    assert.equal((await worker.done).code, 0);
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await redis.stop();
  }
});
