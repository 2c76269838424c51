/**
 * The answer grader against public grading suites (Math-Verify, MARIO_EVAL, OlympiadBench scoring
 * examples) and the self round trip of every MATH500 / GSM8K gold answer through \boxed{}.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJudge, extractAnswer, goldAnswer, isEquivalent, normalizeAnswer, type EquivalenceOptions } from '../../src/grade/index.js';
import { RSTAR_EVAL, SHARED } from '../helpers/paths.js';

interface Case {
  pred: string;
  gold: string;
  equal: boolean;
  source: string;
  options: Record<string, unknown> | null;
}

const CASES_PATH = join(SHARED, 'data', 'grading', 'cases.json');
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as Case[];

/**
 * Case ids (indices in cases.json) where our policy deliberately differs from what the source
 * expects. Each is explained in docs/grading.md ("Known disagreements").
 */
const KNOWN_DISAGREEMENTS: Record<number, string> = {
  5: 'decimal comma "1000,99" (we read a comma as a list separator or thousands separator, never a decimal point)',
  6: 'decimal comma "1,22"',
  7: 'decimal comma "2,74" in prose',
  17: 'decimal comma "0,111"',
  138: 'Math-Verify option allow_set_relation_comp=false (we always compare a relation with a set)',
  208: '1 + 1/e vs 1 - 1/e: mathematically different; the source expects equal',
  214: 'f(y) vs f(x) with strict=false (we always require the same free symbols)',
};

/** The tolerance a case's source used, mapped onto our options. */
function optionsFor(c: Case): EquivalenceOptions {
  const p = c.options?.precision;
  if (typeof p !== 'number') return {};
  // Math-Verify's precision is decimal digits of rounding; OlympiadBench's is an absolute tolerance.
  return c.source.includes('Math-Verify') ? { digits: p } : { absTol: p };
}

/** Grades a case as the sources do: both sides go through extraction, then equivalence. */
function gradeCase(c: Case): boolean {
  const pred = extractAnswer(c.pred);
  return pred !== null && isEquivalent(pred, goldAnswer(c.gold), optionsFor(c));
}

describe('public grading cases (cases.json)', () => {
  it('has the 288 cases', () => {
    assert.equal(cases.length, 288);
  });

  it('agrees with at least 97% of them, and differs exactly on the documented disagreements', () => {
    const differing: number[] = [];
    cases.forEach((c, i) => {
      if (gradeCase(c) !== c.equal) differing.push(i);
    });
    const agree = cases.length - differing.length;
    assert.ok(agree / cases.length >= 0.97, `agreement ${agree}/${cases.length}`);
    assert.deepEqual(
      differing,
      Object.keys(KNOWN_DISAGREEMENTS)
        .map(Number)
        .sort((a, b) => a - b),
      `unexpected differences: ${differing.filter((i) => !(i in KNOWN_DISAGREEMENTS)).join(', ')}`,
    );
  });

  it('each documented disagreement is a case whose source verdict we invert', () => {
    for (const id of Object.keys(KNOWN_DISAGREEMENTS).map(Number)) {
      assert.equal(gradeCase(cases[id]), !cases[id].equal, `case ${id}`);
    }
  });
});

interface Problem {
  index: number | string;
  question: string;
  answer: string | string[];
}

function roundTrip(file: string): void {
  const data = JSON.parse(readFileSync(join(RSTAR_EVAL, file), 'utf8')) as Problem[];
  assert.ok(data.length > 0);
  const failures: string[] = [];
  for (const p of data) {
    const golds = Array.isArray(p.answer) ? p.answer : [p.answer];
    for (const g of golds) {
      const extracted = extractAnswer(`The answer is \\boxed{${g}}`);
      if (extracted === null || !isEquivalent(extracted, p.answer)) failures.push(`${p.index}: ${JSON.stringify(g)} → ${JSON.stringify(extracted)}`);
    }
  }
  assert.deepEqual(failures, []);
}

describe('gold answers survive a round trip through \\boxed{}', () => {
  it('MATH500 (500 answers)', () => roundTrip('math500_test.json'));
  it('GSM8K (1319 answers)', () => roundTrip('GSM8K_test.json'));
  it('MATH list answers: any alternative matches', () => {
    assert.ok(isEquivalent('(10,0)', ['(10,0)', '(0,0)']));
    assert.ok(isEquivalent('(0, 0)', ['(10,0)', '(0,0)']));
    assert.ok(!isEquivalent('(1, 0)', ['(10,0)', '(0,0)']));
  });
});

describe('the Judge interface', () => {
  const judge = createJudge();
  it('extracts and compares', () => {
    const text = '<answer>The value of y is \\boxed{4}.<end_of_answer>';
    assert.equal(judge.extract(text), '4');
    assert.ok(judge.equal('4', '4.0'));
    assert.ok(judge.equal('\\frac{1}{2}', ['0.4', '0.5']));
    assert.ok(!judge.equal('3', '4'));
  });
  it('returns null when there is no answer, and never throws on junk', () => {
    assert.equal(judge.extract(''), null);
    assert.equal(judge.extract('I do not know.'), null);
    for (const junk of ['}{', '\\frac{', '((((', '\\begin{pmatrix}', '=', '\\boxed{', '$$', '\\left(', '^^^', '1/0', '0/0']) {
      assert.equal(typeof judge.equal(junk, '1'), 'boolean');
      assert.equal(typeof normalizeAnswer(junk), 'string');
    }
  });
  it('caps the work of one comparison: it stops at its deadline, on the clock it is given', () => {
    // A clock that advances 50 ms per read: a 300 ms cap passes after 6 reads. Every loop of the
    // comparison reads it, so the reads count the work done.
    const reads = (a: string, b: string, timeoutMs: number) => {
      let n = 0;
      assert.equal(isEquivalent(a, b, { timeoutMs, now: () => 50 * n++ }), false);
      return n;
    };
    const set = `\\{${Array.from({ length: 60 }, (_, i) => `${i}x+${i + 1}`).join(',')}\\}`;
    const capped = reads(set, set.replace('3x', '4x'), 300);
    const uncapped = reads(set, set.replace('3x', '4x'), 1e9);
    assert.ok(capped * 2 < uncapped, `capped ${capped} vs uncapped ${uncapped} clock reads`);
    assert.ok(reads('10^{10^{10^{10^{10}}}}', '10^{10^{10^{10}}}', 300) <= 40);
  });
});
