import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  FAMILIES,
  FAMILY_NAMES,
  LEVEL_SPECS,
  MAX_SENTENCES,
  generateProblems,
  generateProblemsWithReference,
  questionHash,
  splitOf,
  type Level,
  type ReferenceProblem,
} from '../src/data/curriculum/index.js';
import { evaluate } from '../src/data/curriculum/expr.js';
import { FINAL_ANSWER_COMMENT, accumulatedCode, parseSolution } from '../src/steps/protocol.js';
import { findPython } from '../src/util/python.js';

const LEVELS: Level[] = [1, 2, 3, 4, 5];

// One shared sample: 400 train + 400 test problems per level (2000 per split).
const SAMPLE = new Map<Level, { train: ReferenceProblem[]; test: ReferenceProblem[] }>(
  LEVELS.map((level) => [
    level,
    {
      train: generateProblemsWithReference({ level, count: 400, seed: 11, split: 'train' }),
      test: generateProblemsWithReference({ level, count: 400, seed: 11, split: 'test' }),
    },
  ]),
);
const ALL = LEVELS.flatMap((l) => [...SAMPLE.get(l)!.train, ...SAMPLE.get(l)!.test]);

function sentences(q: string): string[] {
  return q.split(/(?<=[.?!])\s+(?=[A-Z0-9$])/);
}

test('generation is deterministic in its options, and longer lists extend shorter ones', () => {
  for (const level of LEVELS) {
    const a = generateProblems({ level, count: 30, seed: 3, split: 'train' });
    const b = generateProblems({ level, count: 30, seed: 3, split: 'train' });
    assert.deepEqual(a, b);
    const longer = generateProblems({ level, count: 45, seed: 3, split: 'train' });
    assert.deepEqual(longer.slice(0, 30), a);
    const other = generateProblems({ level, count: 30, seed: 4, split: 'train' });
    assert.notDeepEqual(other.map((p) => p.id), a.map((p) => p.id));
  }
});

test('counts, ids and fields', () => {
  for (const level of LEVELS) {
    for (const count of [0, 1, 17]) {
      for (const split of ['train', 'test'] as const) {
        const ps = generateProblems({ level, count, seed: 5, split });
        assert.equal(ps.length, count);
      }
    }
    const { train, test: tst } = SAMPLE.get(level)!;
    const ids = new Set([...train, ...tst].map((p) => p.id));
    assert.equal(ids.size, train.length + tst.length, 'ids are unique');
    for (const p of [...train, ...tst]) {
      assert.match(p.id, new RegExp(`^cur-L${level}-[0-9a-f]{12}$`));
      assert.equal(p.id, `cur-L${level}-${questionHash(p.question).slice(0, 12)}`);
      assert.equal(p.level, level);
      assert.equal(p.source, 'curriculum');
      assert.match(p.answer, /^[1-9][0-9]*$/, `integer answer: ${p.answer}`);
      assert.ok(p.question.endsWith('?'), p.question);
      assert.ok(p.families.every((f) => FAMILY_NAMES.includes(f)));
      assert.equal(new Set(p.families).size, p.families.length, 'families of one problem differ');
      const [flo, fhi] = LEVEL_SPECS[level].families;
      assert.ok(p.families.length >= flo && p.families.length <= fhi, `${p.families.length} families at level ${level}`);
    }
  }
});

test('bad options are rejected with the option named', () => {
  assert.throws(() => generateProblems({ level: 6 as Level, count: 1, seed: 1, split: 'train' }), /option "level"/);
  assert.throws(() => generateProblems({ level: 1, count: -1, seed: 1, split: 'train' }), /option "count"/);
  assert.throws(() => generateProblems({ level: 1, count: 1, seed: 1, split: 'dev' as 'train' }), /option "split"/);
});

test('levels 1-2 carry worked solutions; levels 3-5 only answers unless the reference is asked for', () => {
  for (const level of LEVELS) {
    const plain = generateProblems({ level, count: 50, seed: 9, split: 'train' });
    const withRef = generateProblemsWithReference({ level, count: 50, seed: 9, split: 'train' });
    for (let i = 0; i < plain.length; i++) {
      const p = plain[i];
      assert.deepEqual(Object.keys(p).filter((k) => !['id', 'question', 'answer', 'level', 'source', 'families', 'solution'].includes(k)), []);
      assert.equal(p.id, withRef[i].id);
      if (level <= 2) {
        assert.equal(typeof p.solution, 'string');
        assert.equal(p.solution, withRef[i].referenceSolution);
      } else {
        assert.equal('solution' in p, false);
        assert.ok(!JSON.stringify(p).includes('<code>'));
        assert.equal(typeof withRef[i].referenceSolution, 'string');
      }
    }
  }
});

test('train and test are disjoint by question hash, and each problem is in the split its hash says', () => {
  const train = LEVELS.flatMap((l) => SAMPLE.get(l)!.train);
  const tst = LEVELS.flatMap((l) => SAMPLE.get(l)!.test);
  assert.equal(train.length, 2000);
  assert.equal(tst.length, 2000);
  const trainHashes = new Set(train.map((p) => questionHash(p.question)));
  const testHashes = new Set(tst.map((p) => questionHash(p.question)));
  // distinct within a level; a short question may recur at two adjacent levels (both 2-op), same split
  for (const level of LEVELS) {
    for (const split of ['train', 'test'] as const) assert.equal(new Set(SAMPLE.get(level)![split].map((p) => questionHash(p.question))).size, 400);
  }
  assert.ok(trainHashes.size > 1900 && testHashes.size > 1900);
  for (const h of testHashes) assert.ok(!trainHashes.has(h));
  for (const p of train) assert.equal(splitOf(p.question), 'train');
  for (const p of tst) assert.equal(splitOf(p.question), 'test');
  // normalization: case and whitespace do not change the hash or the split
  const q = tst[0].question;
  assert.equal(questionHash(`  ${q.toUpperCase().replace(/ /g, '   ')} `), questionHash(q));
  // about 10% of questions hash into the test split
  let testCount = 0;
  for (let i = 0; i < 5000; i++) if (splitOf(`question number ${i}?`) === 'test') testCount++;
  assert.ok(testCount > 400 && testCount < 600, `${testCount} of 5000`);
});

test('every worked solution parses into numbered steps ending in a print of the answer', () => {
  for (const p of ALL) {
    const parsed = parseSolution(p.referenceSolution);
    assert.ok(parsed.complete);
    assert.ok(parsed.steps.length >= 2);
    const last = parsed.steps[parsed.steps.length - 1];
    assert.deepEqual([`# ${last.reasoning[0]}`], [FINAL_ANSWER_COMMENT]);
    assert.match(last.code, /^print\([a-z_][a-z0-9_]*\)$/);
    parsed.steps.slice(0, -1).forEach((s, i) => {
      assert.equal(s.reasoning.length, 1);
      assert.match(s.reasoning[0], new RegExp(`^Step ${i + 1}: [A-Z]`));
      assert.ok(s.code.length > 0);
    });
    assert.equal(parsed.output, p.answer);
    assert.equal(parsed.boxed, p.answer);
    if (p.solution !== undefined) assert.equal(p.solution, p.referenceSolution);
  }
});

test('numbers in the code are copied from the question', () => {
  for (const p of ALL) {
    for (const s of parseSolution(p.referenceSolution).steps) {
      for (const line of s.code.split('\n')) {
        const m = /^[a-z_][a-z0-9_]* = (\d+)$/.exec(line);
        if (m) assert.match(p.question, new RegExp(`(^|[^0-9])${m[1]}([^0-9]|$)`), `${m[1]} not in: ${p.question}`);
      }
    }
  }
});

test('difficulty grows with level: operations, steps, distractors, families', () => {
  const avgSteps: number[] = [];
  for (const level of LEVELS) {
    const spec = LEVEL_SPECS[level];
    const ps = [...SAMPLE.get(level)!.train, ...SAMPLE.get(level)!.test];
    for (const p of ps) {
      assert.ok(p.ops >= spec.ops[0] && p.ops <= spec.ops[1], `${p.ops} ops at level ${level}`);
      // the declared op count is what the code does
      let ops = 0;
      const env = new Map<string, bigint>();
      for (const s of parseSolution(p.referenceSolution).steps) {
        for (const line of s.code.split('\n')) {
          const m = /^([a-z_][a-z0-9_]*) = (.+)$/.exec(line);
          if (!m) continue;
          const e = evaluate(m[2], env);
          env.set(m[1], e.value);
          ops += e.ops;
        }
      }
      assert.equal(ops, p.ops);
      assert.ok(p.distractors >= spec.distractors[0] && p.distractors <= spec.distractors[1]);
      assert.ok(sentences(p.question).length <= MAX_SENTENCES, p.question);
    }
    avgSteps.push(ps.reduce((a, p) => a + parseSolution(p.referenceSolution).steps.length, 0) / ps.length);
  }
  for (let i = 1; i < avgSteps.length; i++) assert.ok(avgSteps[i] > avgSteps[i - 1], `average steps ${avgSteps.map((x) => x.toFixed(2)).join(' < ')}`);
});

test('every family and every variant is produced somewhere in the curriculum', () => {
  const seen = new Set(ALL.flatMap((p) => p.variants));
  for (const f of FAMILIES) for (const v of f.variants) assert.ok(seen.has(v.id), `variant ${v.id} never generated`);
  for (const level of [1, 2, 3] as Level[]) {
    const fams = new Set(SAMPLE.get(level)!.train.flatMap((p) => p.families));
    assert.equal(fams.size, FAMILIES.length, `all families at level ${level}`);
  }
});

const RUNNER = String.raw`
import sys, json, io, contextlib
cases = json.load(sys.stdin)
bad = []
for c in cases:
    for i, code in enumerate(c["prefixes"]):
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                exec(code, {"__name__": "__main__"})
        except Exception as e:
            bad.append({"id": c["id"], "step": i + 1, "error": repr(e)})
            break
        if i == len(c["prefixes"]) - 1 and buf.getvalue().strip() != c["answer"]:
            bad.append({"id": c["id"], "printed": buf.getvalue(), "answer": c["answer"]})
print(json.dumps({"checked": len(cases), "bad": bad}))
`;

test('real Python: the code of every sampled worked and reference solution prints exactly the answer', () => {
  const python = findPython();
  const cases: Array<{ id: string; answer: string; prefixes: string[] }> = [];
  for (const level of LEVELS) {
    const ps = [...SAMPLE.get(level)!.train.slice(0, 60), ...SAMPLE.get(level)!.test.slice(0, 40)];
    for (const p of ps) {
      for (const [kind, sol] of [['ref', p.referenceSolution], ['sft', p.solution]] as const) {
        if (sol === undefined) continue;
        const steps = parseSolution(sol).steps;
        // the search runs the accumulated code at every step: every prefix must run
        const prefixes = steps.map((_, i) => accumulatedCode(steps.slice(0, i + 1)));
        cases.push({ id: `${p.id}/${kind}`, answer: p.answer, prefixes });
      }
    }
  }
  assert.ok(cases.length >= 600);
  const out = execFileSync(python, ['-c', RUNNER], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  const res = JSON.parse(out) as { checked: number; bad: unknown[] };
  assert.equal(res.checked, cases.length);
  assert.deepEqual(res.bad, []);
});
