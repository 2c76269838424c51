import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** The first fenced `js` block after the README's "## As a library" heading. */
function libraryExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## As a library\n');
  assert.ok(at >= 0, 'README.md has an "## As a library" section');
  const section = readme.slice(at + 1).split(/\n## /)[0];
  const m = /```js\n([\s\S]*?)\n```/.exec(section);
  assert.ok(m, 'the "As a library" section has a ```js block');
  return m[1];
}

test("README's library example runs through the package's own exports and prints an answer", () => {
  const code = libraryExample();
  assert.match(code, /from 'rstar-ts'/, 'the example imports the package by name');
  // Inside the package root, so that 'rstar-ts' resolves to this checkout (package self-reference through "exports").
  const file = join(REPO_ROOT, `.readme-library-${process.pid}.mjs`);
  try {
    writeFileSync(file, code + '\n');
    const env = { ...process.env };
    delete env.RSTAR_BUNDLE; // the example's DEFAULT_BUNDLE is then models/default
    const r = spawnSync(process.execPath, [file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, env });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
    assert.match(r.stdout, /^-?\d+(\.\d+)?$/m, `a number line on stdout, got ${JSON.stringify(r.stdout)}`);
  } finally {
    rmSync(file, { force: true });
  }
});
