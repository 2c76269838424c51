import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machinePath, portablePath } from '../../src/util/machine-paths.js';
import { REPO_ROOT } from '../helpers/paths.js';

test('machinePath: home, work and temp directories of a machine, not system paths, URLs or relative paths', () => {
  for (const bad of [
    '"path": "/work/main/runs/ev/round-4/policy/work/train.jsonl"',
    'trees in /tmp/rstar-bench-synth-abc',
    'cd /root && ls',
    '(/home/alice/rstar)',
    '/Users/bob/models',
    '/tmp',
    '"C:\\\\Users\\\\bob\\\\rstar"',
    'D:\\work\\rstar',
    'file:///etc/hosts',
  ])
    assert.ok(machinePath(bad), bad);
  for (const ok of [
    "Debian's /usr/bin/python3 has torch",
    'https://example.com/work/tmp/x',
    'runs/ev/round-4/policy/work/train.jsonl',
    '../shared/data/rstar-eval',
    'models/default',
    '\\frac{1}{2} and x:\\text{Windows}',
    'a ratio 2:\\tfrac{1}{2}',
    '<path d="M10/20/tmp"/>',
  ])
    assert.equal(machinePath(ok), null, ok);
});

/** Committed files under docs/ and models/ that are text (binaries such as .onnx and .pt are skipped). */
function committedTextFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '-z', '--', 'docs', 'models'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  assert.ok(files.includes('models/default/manifest.json'), 'git ls-files lists the shipped manifests');
  return files.filter((f) => !readFileSync(join(REPO_ROOT, f)).subarray(0, 8192).includes(0));
}

test('no committed file under docs/ or models/ holds an absolute path of a machine', () => {
  const files = committedTextFiles();
  assert.ok(files.some((f) => f.endsWith('.md')) && !files.some((f) => f.endsWith('.onnx')));
  const found: string[] = [];
  for (const f of files) {
    readFileSync(join(REPO_ROOT, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const p = machinePath(line);
        if (p) found.push(`${f}:${i + 1}: ${p}`);
      });
  }
  assert.deepEqual(found, []);
});

test('portablePath: repo-relative inside the repository, the name alone outside it', () => {
  assert.equal(portablePath(join(REPO_ROOT, 'runs', 'ev', 'sft.jsonl'), REPO_ROOT), 'runs/ev/sft.jsonl');
  assert.equal(portablePath('/elsewhere/data/pairs.jsonl', REPO_ROOT), 'pairs.jsonl');
  assert.equal(portablePath(join(REPO_ROOT, '..', 'sibling', 'x.jsonl'), REPO_ROOT), 'x.jsonl');
});
