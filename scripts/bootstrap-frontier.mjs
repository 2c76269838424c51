#!/usr/bin/env node
// Trains the curriculum-v2 bootstrap in chunks and stops on held-out frontier pass@k, not on train loss
// (issue 17: an over-trained policy stops exploring). Each chunk is one pass of seed SFT over FRESH seed
// solutions (rungs --seed-levels, a new curriculum seed per chunk, train split) plus a few primed
// reference solutions of the rungs above (train-set priming), continued from the previous chunk's
// bundle; after each chunk `rstar probe` measures pass@k on held-out test problems. The best chunk by
// mean pass@k over the frontier rungs (--frontier-levels: the top seed rung and the first rungs
// without seeds, whose held-out problems the policy solves only sometimes) becomes OUT. Stops after --patience
// chunks without improvement, after --max-chunks, or when the time budget is spent.
//
// Resumable: a chunk whose bundle and probe are on disk is not redone; kill it and rerun the same
// command. Everything lands in OUT.work/ (chunk-N/ bundles, chunk-N.probe.json, chunks.jsonl).
//
//   node scripts/bootstrap-frontier.mjs --init models/round0-v1 --out models/rebuilt-round0 \
//     [--per-rung 2000] [--prime 200] [--max-chunks 8] [--patience 2] [--lr 1e-3] [--device cpu]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    init: { type: 'string' },
    out: { type: 'string' },
    preset: { type: 'string', default: 'small' },
    'per-rung': { type: 'string', default: '2000' },
    prime: { type: 'string', default: '200' },
    'seed-levels': { type: 'string', default: '1,2,3' },
    'prime-levels': { type: 'string', default: '4,5' },
    'frontier-levels': { type: 'string', default: '3,4,5' },
    'probe-levels': { type: 'string', default: '1-6' },
    'probe-count': { type: 'string', default: '16' },
    'probe-samples': { type: 'string', default: '8' },
    'probe-seed': { type: 'string', default: '777' },
    'max-chunks': { type: 'string', default: '8' },
    patience: { type: 'string', default: '2' },
    lr: { type: 'string', default: '1e-3' },
    'batch-size': { type: 'string', default: '32' },
    device: { type: 'string', default: 'cpu' },
    'max-minutes': { type: 'string', default: '0' },
  },
});
if (!o.out) fail('--out is required (a new bundle directory)');
if (existsSync(o.out)) fail(`${o.out}: already exists; give a new --out (no shipped bundle is overwritten)`);
if (o.init && !existsSync(join(o.init, 'checkpoint.pt'))) fail(`${o.init}: no checkpoint.pt to continue from`);
const int = (name) => {
  const v = Number(o[name]);
  if (!Number.isFinite(v) || v < 0) fail(`--${name}: expected a non-negative number, got ${JSON.stringify(o[name])}`);
  return v;
};
const perRung = int('per-rung'),
  prime = int('prime'),
  maxChunks = int('max-chunks'),
  patience = int('patience');
const maxMinutes = int('max-minutes');
const seedLevels = o['seed-levels'].split(',').map(Number);
const primeLevels = o['prime-levels'] ? o['prime-levels'].split(',').map(Number) : [];
const frontierLevels = o['frontier-levels'].split(',').map(Number);
const work = `${o.out}.work`;
mkdirSync(work, { recursive: true });
const log = join(work, 'chunks.jsonl');
const started = Date.now();

function fail(msg) {
  console.error(`bootstrap-frontier: ${msg}`);
  process.exit(2);
}
/** Runs node ARGS in the project root; returns its stdout when capture is set (else it is shown). */
function run(args, capture = false) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], maxBuffer: 1 << 30 });
  if (r.status !== 0) fail(`${args.slice(0, 3).join(' ')} … exited with ${r.status ?? r.signal}`);
  return r.stdout;
}
/** Writes a file whole or not at all (a kill mid-write leaves no half file that a rerun would trust). */
function writeAtomic(file, data) {
  writeFileSync(`${file}.part`, data);
  renameSync(`${file}.part`, file);
}
const rstar = (...args) => ['bin/rstar.js', ...args];

function chunkData(k) {
  const file = join(work, `chunk-${k}.seed.jsonl`);
  if (existsSync(file)) return file;
  const parts = [];
  for (const level of seedLevels) {
    parts.push(run(rstar('gen', '--curriculum', 'v2', '--level', String(level), '--count', String(perRung), '--seed', String(k), '--split', 'train'), true));
  }
  if (prime > 0 && primeLevels.length) {
    parts.push(
      run(['scripts/reference-solutions.mjs', '--curriculum', 'v2', '--levels', primeLevels.join(','), '--count', String(prime), '--seed', String(k)], true),
    );
  }
  writeAtomic(file, Buffer.concat(parts));
  return file;
}

function tokenizerCorpus() {
  const file = join(work, 'tokenizer-corpus.jsonl');
  if (existsSync(file)) return file;
  const parts = [];
  for (let level = 1; level <= 10; level++) {
    parts.push(run(rstar('gen', '--curriculum', 'v2', '--level', String(level), '--count', '2000', '--seed', '1', '--split', 'train', '--no-solutions'), true));
  }
  writeAtomic(file, Buffer.concat(parts));
  return file;
}

function score(probe) {
  const byLevel = new Map(probe.levels.map((l) => [l.level, l]));
  const frontier = frontierLevels.map((l) => byLevel.get(l)?.passK ?? 0);
  const seedRungs = seedLevels.map((l) => byLevel.get(l)?.passK ?? 0);
  return {
    frontier: frontier.reduce((a, b) => a + b, 0) / frontier.length,
    seed: seedRungs.reduce((a, b) => a + b, 0) / seedRungs.length,
    passK: Object.fromEntries(probe.levels.map((l) => [l.level, l.passK])),
    pass1: Object.fromEntries(probe.levels.map((l) => [l.level, l.pass1])),
  };
}

function probe(bundle, file) {
  if (!existsSync(file)) {
    writeAtomic(
      file,
      run(
        rstar(
          'probe',
          '--bundle',
          bundle,
          '--curriculum',
          'v2',
          '--levels',
          o['probe-levels'],
          '--count',
          o['probe-count'],
          '--samples',
          o['probe-samples'],
          '--seed',
          o['probe-seed'],
          '--split',
          'test',
          '--quiet',
          '--json',
        ),
        true,
      ),
    );
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

const history = [];
let prev = o.init;
if (o.init) {
  const s = score(probe(o.init, join(work, 'chunk-0.probe.json')));
  history.push({ chunk: 0, bundle: o.init, ...s });
  console.error(`chunk 0 (init ${o.init}): frontier pass@k ${s.frontier.toFixed(3)}, seed rungs ${s.seed.toFixed(3)}`);
}
let best = history[0] ?? null;
let sinceBest = 0;
for (let k = 1; k <= maxChunks; k++) {
  if (maxMinutes > 0 && (Date.now() - started) / 60000 > maxMinutes) {
    console.error(`bootstrap-frontier: time budget of ${maxMinutes} min spent after chunk ${k - 1}`);
    break;
  }
  const dir = join(work, `chunk-${k}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    rmSync(dir, { recursive: true, force: true });
    const data = chunkData(k);
    const args = [
      'train',
      'policy',
      '--data',
      data,
      '--out',
      dir,
      '--epochs',
      '1',
      '--batch-size',
      o['batch-size'],
      '--lr',
      o.lr,
      '--device',
      o.device,
      '--seed',
      String(k),
    ];
    if (prev) args.push('--init', prev);
    else args.push('--preset', o.preset, '--tokenizer-corpus', tokenizerCorpus(), '--vocab-size', '1024');
    const t0 = Date.now();
    run(rstar(...args));
    rmSync(join(dir, 'work'), { recursive: true, force: true });
    console.error(`chunk ${k}: trained in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const s = score(probe(dir, join(work, `chunk-${k}.probe.json`)));
  const entry = {
    chunk: k,
    bundle: dir,
    trainLoss: manifest.policy?.metrics?.final_train_loss ?? null,
    tokens: manifest.policy?.metrics?.tokens_seen ?? null,
    ...s,
  };
  history.push(entry);
  writeAtomic(log, history.map((h) => `${JSON.stringify(h)}\n`).join(''));
  console.error(`chunk ${k}: frontier pass@k ${s.frontier.toFixed(3)}, seed rungs ${s.seed.toFixed(3)}, passK ${JSON.stringify(s.passK)}`);
  if (!best || s.frontier > best.frontier || (s.frontier === best.frontier && s.seed > best.seed)) {
    best = entry;
    sinceBest = 0;
  } else if (++sinceBest >= patience) {
    console.error(`bootstrap-frontier: no frontier gain for ${patience} chunks; stopping`);
    break;
  }
  prev = dir;
}
if (!best || best.chunk === 0) fail('no chunk improved on the initial bundle; nothing written');
const command = `node scripts/bootstrap-frontier.mjs ${process.argv.slice(2).join(' ')}`;
const summary = { format: 'rstar-ts/bootstrap-frontier@1', best: best.chunk, frontierLevels, seedLevels, history, command };
cpSync(best.bundle, o.out, { recursive: true });
// The chunk's manifest names only its own step (train on chunk-K data from chunk K-1): record the chain.
const manifestPath = join(o.out, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.provenance = {
  ...manifest.provenance,
  reproduce: command,
  round: 0,
  bootstrap: {
    chunks: best.chunk,
    init: o.init ?? null,
    perRung,
    prime,
    seedLevels,
    primeLevels,
    frontierLevels,
    probe: { levels: o['probe-levels'], count: Number(o['probe-count']), samples: Number(o['probe-samples']), seed: Number(o['probe-seed']), split: 'test' },
    history: history.map(({ chunk, frontier, seed, passK, trainLoss, tokens }) => ({ chunk, frontier, seed, passK, trainLoss, tokens })),
  },
};
writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
writeAtomic(join(work, 'bootstrap.json'), `${JSON.stringify(summary, null, 1)}\n`);
console.log(JSON.stringify({ out: o.out, best: best.chunk, frontier: best.frontier, seed: best.seed }));
