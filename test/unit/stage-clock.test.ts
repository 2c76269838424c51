import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeStage } from '../../src/evolve/stage-clock.js';

/** A clock the test moves by hand, a checkpoint timer the test fires, and the persisted state as JSON. */
function harness(initial: Record<string, number>) {
  let ms = 1_000;
  const state = { wallSeconds: initial };
  const saved: string[] = [];
  let fire: (() => void) | null = null;
  return {
    state,
    saved,
    advance: (seconds: number) => (ms += seconds * 1000),
    checkpoint: () => fire!(),
    opts: {
      now: () => ms,
      save: () => saved.push(JSON.stringify(state)),
      every: (tick: () => void) => {
        fire = tick;
        return () => (fire = null);
      },
    },
  };
}

test('stage clock: a stage killed mid-way and resumed counts both parts', async () => {
  // First process: 40 s of eval, checkpointed, then killed (the stage never finishes).
  const first = harness({});
  void timeStage(first.state.wallSeconds, 'eval', () => new Promise<never>(() => {}), first.opts);
  first.advance(25);
  first.checkpoint();
  first.advance(15);
  first.checkpoint();
  first.advance(3); // work after the last checkpoint is lost with the process
  const persisted = JSON.parse(first.saved.at(-1)!) as { wallSeconds: Record<string, number> };
  assert.deepEqual(persisted.wallSeconds, { eval: 40 });

  // Second process: resumes from what was persisted and finishes after 25 s more.
  const second = harness(persisted.wallSeconds);
  const done = timeStage(
    second.state.wallSeconds,
    'eval',
    async () => {
      second.advance(25);
      return 'ok';
    },
    second.opts,
  );
  assert.equal(await done, 'ok');
  assert.deepEqual(JSON.parse(second.saved.at(-1)!).wallSeconds, { eval: 65 });
});

test('stage clock: a stage that throws keeps its time; other stages are untouched; the timer stops', async () => {
  const h = harness({ synth: 12 });
  await assert.rejects(
    timeStage(
      h.state.wallSeconds,
      'train-ppm',
      async () => {
        h.advance(7.5);
        throw new Error('trainer failed');
      },
      h.opts,
    ),
    /trainer failed/,
  );
  assert.deepEqual(h.state.wallSeconds, { synth: 12, 'train-ppm': 7.5 });
  assert.equal(h.saved.length, 1);
  assert.throws(() => h.checkpoint(), TypeError, 'the checkpoint timer is stopped when the stage ends');
});

test('stage clock: two passes of the same stage in one process add up', async () => {
  const h = harness({});
  for (const s of [3, 4]) {
    await timeStage(h.state.wallSeconds, 'synth', async () => void h.advance(s), h.opts);
  }
  assert.equal(h.state.wallSeconds.synth, 7);
});
