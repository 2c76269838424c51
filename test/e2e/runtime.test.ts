import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bundleHasPpm, openBundleModels, openRuntime, RuntimeOptionsError } from '../../src/runtime.js';
import { DEFAULT_BUNDLE } from '../helpers/cli.js';

// The composition root on the shipped bundle: real ONNX Runtime, sandbox pool and grader.
test('openRuntime loads the bundle policy, its PPM unless noReward, the sandbox and the grader', async () => {
  assert.ok(bundleHasPpm(DEFAULT_BUNDLE), 'the shipped default bundle carries a PPM');
  for (const noReward of [false, true]) {
    const rt = await openRuntime({ bundle: DEFAULT_BUNDLE, threads: 1, noReward });
    try {
      assert.ok(rt.engine, 'embedded policy');
      assert.equal(rt.deps.policy, rt.batching);
      assert.equal(rt.deps.reward === undefined, noReward);
      const run = await rt.deps.executor.run('print(6 * 7)');
      assert.equal(run.stdout.trim(), '42');
      assert.ok(rt.deps.judge.equal('0.5', '1/2'));
    } finally {
      await rt.close();
    }
  }
});

test('options the runtime cannot honour are RuntimeOptionsErrors naming what is wrong', async () => {
  const missing = join(DEFAULT_BUNDLE, 'no-such-bundle');
  await assert.rejects(openRuntime({ bundle: missing }), (e: Error) => e instanceof RuntimeOptionsError && e.message.includes(missing));
  await assert.rejects(
    openRuntime({ bundle: DEFAULT_BUNDLE, reward: 'http://127.0.0.1:9', rewardModel: 'x', ppm: DEFAULT_BUNDLE }),
    (e: Error) => e instanceof RuntimeOptionsError && /not both/.test(e.message),
  );
  await assert.rejects(openBundleModels(missing), (e: Error) => e instanceof RuntimeOptionsError && e.message.includes(missing));
});

test('openBundleModels gives rstar serve the bundle policy and PPM', async () => {
  const { bundle, policy, reward } = await openBundleModels(DEFAULT_BUNDLE, { threads: 1 });
  try {
    assert.ok(policy && reward);
    assert.equal(policy.bundle.manifest.name, bundle.manifest.name);
  } finally {
    await policy?.close();
    await reward?.close();
  }
});
