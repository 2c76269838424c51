import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Queue, Worker, type Job } from 'bullmq';
import { rstar, DEFAULT_BUNDLE } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { freePort, startRedis } from '../helpers/redis.js';
import { parseQueueUrl, probeRedis, QueueUnreachableError, redisOptions, openRedis } from '../../src/queue/connection.js';
import { jobIdOf, runIdOf, stableJson, PREFIX, queueName, RUNS_KEY } from '../../src/queue/ids.js';
import { coordinate } from '../../src/queue/coordinator.js';
import { publishRun, retireRun, type RunSettings } from '../../src/queue/settings.js';
import { generateProblems } from '../../src/data/curriculum/index.js';
import type { Problem } from '../../src/data/problems.js';

test('run and job ids derive from what the run is and which problem, nothing else', () => {
  assert.equal(stableJson({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
  const a = runIdOf({ kind: 'synth', out: '/r', search: { seed: 1, rollouts: 16 } });
  assert.equal(a, runIdOf({ search: { rollouts: 16, seed: 1 }, out: '/r', kind: 'synth' }), 'key order does not matter');
  assert.notEqual(a, runIdOf({ kind: 'synth', out: '/r', search: { seed: 2, rollouts: 16 } }), 'another seed is another run');
  assert.match(a, /^[0-9a-f]{16}$/);
  const j = jobIdOf(a, 'p:1');
  assert.equal(j, jobIdOf(a, 'p:1'));
  assert.notEqual(j, jobIdOf(a, 'p:2'));
  assert.notEqual(j, jobIdOf(runIdOf({ other: true }), 'p:1'));
  assert.ok(!j.includes(':') && !/^\d+$/.test(j), 'BullMQ custom ids: no ":" and not an integer');
});

test('--queue URLs: defaults, database, password kept out of what is printed, clear errors', () => {
  assert.deepEqual(parseQueueUrl('redis://host'), {
    display: 'redis://host/0',
    host: 'host',
    port: 6379,
    db: 0,
    username: undefined,
    password: undefined,
    tls: false,
  });
  const u = parseQueueUrl('rediss://user:s3cret@10.0.0.5:7000/3');
  assert.deepEqual([u.host, u.port, u.db, u.username, u.password, u.tls], ['10.0.0.5', 7000, 3, 'user', 's3cret', true]);
  assert.equal(u.display, 'rediss://user:***@10.0.0.5:7000/3');
  assert.ok(!parseQueueUrl('redis://:pw@h:1/0').display.includes('pw'));
  assert.throws(() => parseQueueUrl('http://h:6379'), /expected a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => parseQueueUrl('redis://h/x'), /database number/);
  assert.throws(() => parseQueueUrl('redis://h/16'), /out of range/);
  assert.throws(() => parseQueueUrl('not a url'), /not a URL/);
});

test('Redis down: one clear error naming the URL, quickly, and nothing written', async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  const t0 = Date.now();
  await assert.rejects(
    probeRedis(parseQueueUrl(url)),
    (e: Error) => e instanceof QueueUnreachableError && e.message.includes(`Redis at ${url} is not reachable`),
  );
  assert.ok(Date.now() - t0 < 3500);

  const dir = mkdtempSync(join(tmpdir(), 'rstar-queue-down-'));
  const data = join(dir, 'p.jsonl');
  writeFileSync(
    data,
    generateProblems({ level: 1, count: 2, seed: 1, split: 'train' })
      .map((p) => JSON.stringify(p))
      .join('\n') + '\n',
  );
  const synth = rstar(['synth', '--data', data, '--out', join(dir, 'run'), '--queue', url, '--json']);
  assert.equal(synth.code, 2, synth.stderr);
  assert.match(synth.stderr, new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port}/0 is not reachable`));
  assert.equal(synth.stderr.trim().split('\n').length, 1, `one line, no retry storm: ${synth.stderr}`);
  assert.ok(!existsSync(join(dir, 'run')), 'no run directory');
  const ev = rstar(['eval', '--data', data, '--mode', 'greedy', '--out', join(dir, 'r.jsonl'), '--queue', url, '--json']);
  assert.equal(ev.code, 2, ev.stderr);
  assert.match(ev.stderr, /is not reachable/);
  assert.ok(!existsSync(join(dir, 'r.jsonl')) && !existsSync(join(dir, 'r.jsonl.meta.json')), 'no results file');
  const w = rstar(['worker', '--queue', url, '--json']);
  assert.equal(w.code, 2, w.stderr);
  assert.match(w.stderr, /is not reachable/);
});

test('without --queue the CLI does not load the queue code (bullmq, ioredis) at all', () => {
  // The static import graph of the launcher's modules: only `await import()` reaches src/queue.
  const seen = new Set<string>();
  const bad: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)';/gms)) {
      const spec = m[1];
      if (/^(bullmq|ioredis)(\/|$)/.test(spec)) bad.push(`${file} -> ${spec}`);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (target.includes(`${join('src', 'queue')}`) && !/^import\s+type\b/.test(m[0])) bad.push(`${file} -> ${spec}`);
        walk(target);
      }
    }
  };
  walk(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'));
  assert.ok(seen.size > 20, 'the walk follows imports');
  assert.deepEqual(bad, []);
});

const fakeSettings = (runId: string): RunSettings => ({
  format: 'rstar-ts/queue-run@1',
  runId,
  kind: 'synth',
  created: new Date().toISOString(),
  search: { seed: 1 } as RunSettings['search'],
  policy: { name: 'test', sha256: 'abc' },
  reward: null,
});

test('coordinator: idempotent enqueue, one result per problem, a poison job failed with its error after N attempts', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  try {
    const q = parseQueueUrl(redis.url);
    const problems: Problem[] = Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, question: `q${i}`, answer: String(i) }));
    const poison: Problem = { id: 'poison', question: 'boom', answer: '0' };
    const runId = runIdOf({ test: 'coordinator', t: Date.now() });
    const settings = fakeSettings(runId);
    const log: string[] = [];
    // Enqueue twice without collecting (an aborted signal returns at once): the same 7 jobs.
    const stopped = new AbortController();
    stopped.abort();
    for (let i = 0; i < 2; i++)
      await coordinate({ queue: q, settings, attempts: 2, log: (l) => log.push(l) }, [...problems, poison], () => assert.fail('no worker yet'), stopped.signal);
    const queue = new Queue(queueName(runId), { connection: redisOptions(q), prefix: PREFIX });
    const counts = await queue.getJobCounts('waiting');
    assert.equal(counts.waiting, 7, 'enqueueing again adds nothing');
    const job = (await queue.getJob(jobIdOf(runId, 'p3')))!;
    assert.deepEqual(job.data, { problem: problems[3] });

    const runs: Record<string, number> = {};
    const worker = new Worker(
      queueName(runId),
      async (j: Job) => {
        const p = j.data.problem as Problem;
        runs[p.id] = (runs[p.id] ?? 0) + 1;
        if (p.id === 'poison') throw new Error('this problem always fails');
        return { id: p.id, tokens: 1 };
      },
      { connection: redisOptions(q), prefix: PREFIX, concurrency: 3 },
    );
    const got: string[] = [];
    const fleet: number[] = [];
    const { failed } = await coordinate<{ id: string }>(
      { queue: q, settings, attempts: 2, log: (l) => log.push(l), onFleet: (f) => fleet.push(f.workers) },
      [...problems, poison],
      (r) => got.push(r.id),
    );
    await worker.close();
    assert.deepEqual(
      got.sort(),
      problems.map((p) => p.id),
    );
    assert.deepEqual(failed, [{ id: 'poison', error: 'this problem always fails', attempts: 2 }]);
    assert.equal(runs.poison, 2, 'retried once, then failed for good');
    assert.ok(
      fleet.some((n) => n >= 1),
      'the fleet status sees the worker',
    );
    // Collected jobs are removed; the failed one stays (a rerun reports it again).
    const after = await queue.getJobCounts('completed', 'failed', 'waiting');
    assert.deepEqual([after.completed, after.failed, after.waiting], [0, 1, 0]);
    const again = await coordinate({ queue: q, settings, attempts: 2, log: (l) => log.push(l) }, [poison], () => assert.fail('not done'));
    assert.equal(again.failed[0].error, 'this problem always fails');
    await queue.close();
    // The run left the registry (workers stop serving it).
    const r = openRedis(q, () => {});
    assert.equal(await r.hexists(RUNS_KEY, runId), 0);
    r.disconnect();
  } finally {
    await redis.stop();
  }
});

test('a worker refuses a run whose bundle sha256 differs from its own', { timeout: 120_000 }, async () => {
  const redis = await startRedis();
  try {
    const q = parseQueueUrl(redis.url);
    const r = openRedis(q, () => {});
    const s = fakeSettings('feedfacefeedface');
    s.policy = { name: 'models/other', sha256: 'f'.repeat(64) };
    await publishRun(r, s);
    const w = rstar(['worker', '--queue', redis.url, '--bundle', DEFAULT_BUNDLE, '--idle-exit', '5', '--json'], { timeoutMs: 100_000 });
    assert.equal(w.code, 2, w.stderr);
    assert.match(w.stderr, /refusing run feedfacefeedface: the bundle .* has policy sha256 [0-9a-f]{12}, the run's manifest has ffffffffffff/);
    await retireRun(r, s.runId);
    r.disconnect();
  } finally {
    await redis.stop();
  }
});
