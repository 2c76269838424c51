import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  FAMILIES,
  FAMILY_NAMES,
  LEVEL_SPECS,
  MAX_SENTENCES,
  V2_FAMILIES,
  V2_RUNGS,
  describeLadder,
  generateProblems,
  generateProblemsWithReference,
  questionHash,
  splitOf,
  type Level,
  type ReferenceProblem,
} from '../../src/data/curriculum/index.js';
import { evaluate } from '../../src/data/curriculum/expr.js';
import { FINAL_ANSWER_COMMENT, accumulatedCode, parseSolution } from '../../src/steps/protocol.js';
import { findPython } from '../../src/util/python.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { phrasingSkeleton, ladderStats } from '../../src/data/curriculum/stats.js';

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
    assert.notDeepEqual(
      other.map((p) => p.id),
      a.map((p) => p.id),
    );
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
      assert.deepEqual(
        Object.keys(p).filter((k) => !['id', 'question', 'answer', 'level', 'source', 'families', 'solution'].includes(k)),
        [],
      );
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
      for (const [kind, sol] of [
        ['ref', p.referenceSolution],
        ['sft', p.solution],
      ] as const) {
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

// ── curriculum v2: the ladder of one-operation rungs ──

const RUNGS = Array.from({ length: V2_RUNGS }, (_, i) => i + 1);
const V2 = new Map<number, { train: ReferenceProblem[]; test: ReferenceProblem[] }>(
  RUNGS.map((level) => [
    level,
    {
      train: generateProblemsWithReference({ level, count: 200, seed: 11, split: 'train', curriculum: 'v2' }),
      test: generateProblemsWithReference({ level, count: 100, seed: 11, split: 'test', curriculum: 'v2' }),
    },
  ]),
);
const V2_ALL = RUNGS.flatMap((l) => [...V2.get(l)!.train, ...V2.get(l)!.test]);

/** Operators the reference code really performs (not what the generator declares). */
function codeOps(sol: string): number {
  let ops = 0;
  const env = new Map<string, bigint>();
  for (const s of parseSolution(sol).steps) {
    for (const line of s.code.split('\n')) {
      const m = /^([a-z_][a-z0-9_]*) = (.+)$/.exec(line);
      if (!m) continue;
      const e = evaluate(m[2], env);
      env.set(m[1], e.value);
      ops += e.ops;
    }
  }
  return ops;
}

test('v2: rung r has exactly r operations in its reference code, on every rung', () => {
  for (const level of RUNGS) {
    for (const p of [...V2.get(level)!.train, ...V2.get(level)!.test]) {
      assert.equal(p.ops, level, `${p.ops} ops at rung ${level}: ${p.question}`);
      assert.equal(codeOps(p.referenceSolution), level, p.referenceSolution);
      assert.equal(p.curriculum, 'v2');
      assert.match(p.id, new RegExp(`^cur2-L${level}-[0-9a-f]{12}$`));
      assert.match(p.answer, /^[1-9][0-9]*$/);
      assert.ok(p.distractors >= 0 && p.distractors <= 2);
      assert.ok(p.families.length >= 1 && p.families.length <= (level === 1 ? 1 : level === 2 ? 2 : 3), `${p.families.length} families at rung ${level}`);
    }
  }
});

test('v2: everything but the operation count is present from the low rungs up', () => {
  const stats = ladderStats(RUNGS.map((level) => ({ level, problems: [...V2.get(level)!.train, ...V2.get(level)!.test] })));
  for (const r of stats.rungs) {
    // distractors on every rung
    assert.ok(r.distractorRate > 0.3 && r.distractorRate < 0.6, `rung ${r.level}: distractor rate ${r.distractorRate}`);
    // composition from rung 2 up (every problem above the largest single variant is composed or an everyday story)
    if (r.level >= 2) assert.ok(r.compositionRate >= 0.2, `rung ${r.level}: composition rate ${r.compositionRate}`);
    // big numbers on every rung (scales 2-3 drawn alike)
    assert.ok(r.maxNumber.p90 >= 40, `rung ${r.level}: p90 of the largest number ${r.maxNumber.p90}`);
  }
  // all ten families on rung 1 and on rung 2 already
  for (const level of [1, 2]) {
    const fams = new Set([...V2.get(level)!.train, ...V2.get(level)!.test].flatMap((p) => p.families));
    assert.equal(fams.size, level === 1 ? V2_FAMILIES.length - 1 : V2_FAMILIES.length, `families at rung ${level}: ${[...fams].join(' ')}`); // ratios has no 1-op variant
  }
  // the README's everyday question shape is in-distribution on the low rungs
  const everyday = V2_ALL.filter(
    (p) =>
      p.level <= 3 && p.families[0] === 'everyday' && / (has|had) \w+ \w+ of \w+ \w+ and (gives|gave|loses|lost|sells|sold|donates|eats|ate) /.test(p.question),
  );
  assert.ok(everyday.length > 0, 'no "X has 3 boxes of 12 pencils and gives away 7" problem on rungs 1-3');
});

test('v2: phrasing variety per family is far above v1 (distinct question-sentence skeletons in 50 problems)', () => {
  const lastSentence = (q: string) => q.split(/(?<=[.?!])\s+/).pop()!;
  const byFamily = (ps: ReferenceProblem[]) => {
    const m = new Map<string, ReferenceProblem[]>();
    for (const p of ps) if (p.families.length === 1) m.set(p.families[0], [...(m.get(p.families[0]) ?? []), p]);
    return m;
  };
  const distinct = (ps: ReferenceProblem[]) => new Set(ps.slice(0, 50).map((p) => phrasingSkeleton(lastSentence(p.question)))).size;
  const v1 = byFamily(LEVELS.flatMap((l) => SAMPLE.get(l)!.train));
  const v2 = byFamily(V2_ALL);
  for (const f of V2_FAMILIES) {
    const ps = v2.get(f.name) ?? [];
    assert.ok(ps.length >= 50, `family ${f.name}: ${ps.length} single-family problems`);
    const n = distinct(ps);
    // The floor: at least 15 distinct question forms per 50 problems of a family, and 1.5 times v1's.
    assert.ok(n >= 15, `family ${f.name}: ${n} distinct question skeletons`);
    if (v1.has(f.name)) assert.ok(n >= 1.5 * distinct(v1.get(f.name)!), `family ${f.name}: v2 ${n} vs v1 ${distinct(v1.get(f.name)!)}`);
  }
  const forms = new Set(
    V2_ALL.map((p) => /^(How many|How much|What|Find|Calculate|Work out|Can you|Determine|Tell me|So how)/.exec(lastSentence(p.question))?.[1] ?? 'other'),
  );
  for (const f of ['How many', 'What', 'Find', 'Calculate']) assert.ok(forms.has(f), `question form "${f}"`);
});

test('v2: seed rungs carry parseable worked solutions, higher rungs only answers', () => {
  for (const level of RUNGS) {
    const plain = generateProblems({ level, count: 30, seed: 9, split: 'train', curriculum: 'v2' });
    const withRef = generateProblemsWithReference({ level, count: 30, seed: 9, split: 'train', curriculum: 'v2' });
    plain.forEach((p, i) => {
      assert.equal(p.id, withRef[i].id);
      if (level <= 3) {
        assert.equal(p.solution, withRef[i].referenceSolution);
        const parsed = parseSolution(p.solution!);
        assert.ok(parsed.complete);
        assert.equal(parsed.steps.length >= 2, true);
        assert.equal(parsed.output, p.answer);
        assert.equal(parsed.boxed, p.answer);
      } else assert.equal('solution' in p, false);
    });
  }
  const ladder = describeLadder('v2');
  assert.deepEqual(
    ladder.map((l) => l.level),
    RUNGS,
  );
  assert.deepEqual(
    ladder.map((l) => l.seed),
    RUNGS.map((r) => r <= 3),
  );
  assert.deepEqual(
    ladder.map((l) => l.ops),
    RUNGS.map((r) => [r, r]),
  );
});

test('v2: deterministic, distinct within a rung, splits disjoint by question hash (also against v1)', () => {
  for (const level of [1, 5, 10]) {
    const a = generateProblems({ level, count: 25, seed: 3, split: 'train', curriculum: 'v2' });
    assert.deepEqual(generateProblems({ level, count: 25, seed: 3, split: 'train', curriculum: 'v2' }), a);
    assert.deepEqual(generateProblems({ level, count: 40, seed: 3, split: 'train', curriculum: 'v2' }).slice(0, 25), a);
    assert.notDeepEqual(
      generateProblems({ level, count: 25, seed: 4, split: 'train', curriculum: 'v2' }).map((p) => p.id),
      a.map((p) => p.id),
    );
  }
  const train = new Set(RUNGS.flatMap((l) => V2.get(l)!.train.map((p) => questionHash(p.question))));
  const tst = new Set(RUNGS.flatMap((l) => V2.get(l)!.test.map((p) => questionHash(p.question))));
  for (const h of tst) assert.ok(!train.has(h));
  for (const l of RUNGS) for (const split of ['train', 'test'] as const) for (const p of V2.get(l)![split]) assert.equal(splitOf(p.question), split);
  for (const l of RUNGS) assert.equal(new Set(V2.get(l)!.train.map((p) => p.id)).size, 200);
  // v1 is unchanged by default and v2 is opt-in
  assert.deepEqual(
    generateProblems({ level: 2, count: 5, seed: 1, split: 'train' }),
    generateProblems({ level: 2, count: 5, seed: 1, split: 'train', curriculum: 'v1' }),
  );
  assert.throws(() => generateProblems({ level: 6, count: 1, seed: 1, split: 'train', curriculum: 'v1' }), /option "level": curriculum v1 has levels 1-5/);
  assert.throws(() => generateProblems({ level: 11, count: 1, seed: 1, split: 'train', curriculum: 'v2' }), /option "level"/);
});

test('v2 in the real sandbox: every prefix of sampled reference and worked solutions runs, and the full code prints the answer', async () => {
  const sb = await createSandbox({ workers: 2 });
  try {
    assert.equal(sb.sandboxed, true);
    const bad: string[] = [];
    const jobs: Array<Promise<void>> = [];
    for (const level of RUNGS) {
      for (const p of [...V2.get(level)!.train.slice(0, 12), ...V2.get(level)!.test.slice(0, 8)]) {
        const steps = parseSolution(p.referenceSolution).steps;
        jobs.push(
          (async () => {
            for (let i = 0; i < steps.length; i++) {
              const r = await sb.run(accumulatedCode(steps.slice(0, i + 1)));
              if (r.status !== 'ok') return void bad.push(`${p.id} step ${i + 1}: ${r.status} ${r.error}`);
              if (i === steps.length - 1 && r.stdout.trim() !== p.answer) bad.push(`${p.id}: printed ${r.stdout.trim()}, answer ${p.answer}`);
            }
          })(),
        );
      }
    }
    await Promise.all(jobs);
    assert.equal(jobs.length, 200);
    assert.deepEqual(bad, []);
  } finally {
    await sb.close();
  }
});
