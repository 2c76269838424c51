#!/usr/bin/env node
// Prints curriculum problems of answer-only levels WITH their generator reference solution as
// `solution` (JSONL on stdout), for train-set priming of a bootstrap: a small share of longer worked
// examples mixed into the seed. Usage:
//   node scripts/reference-solutions.mjs --curriculum v2 --levels 4,5 --count 250 --seed 1
import { parseArgs } from 'node:util';
import { generateProblemsWithReference } from '../dist/src/data/curriculum/index.js';

const { values } = parseArgs({
  options: {
    curriculum: { type: 'string', default: 'v2' },
    levels: { type: 'string' },
    count: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    split: { type: 'string', default: 'train' },
  },
});
if (!values.levels) {
  console.error('reference-solutions: --levels is required (e.g. --levels 4,5)');
  process.exit(2);
}
for (const level of values.levels.split(',').map(Number)) {
  const problems = generateProblemsWithReference({
    curriculum: values.curriculum,
    level,
    count: Number(values.count),
    seed: Number(values.seed),
    split: values.split,
  });
  for (const p of problems) {
    const { referenceSolution, ops, variants, distractors, curriculum, ...rest } = p;
    process.stdout.write(JSON.stringify({ ...rest, solution: referenceSolution, primed: true }) + '\n');
  }
}
