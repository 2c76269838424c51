/**
 * What the viewer's server sends the page (and what a static export inlines): a catalogue of views,
 * each view's document, and search trees by key. Keys are opaque ids the server assigns (`v0` the
 * named run itself, `v3.12` the 13th tree of view v3); the page never names a file.
 */
import type { EvalSummary } from '../eval/types.js';
import type { TreeJSON } from '../search/tree-file.js';

export type ViewKind = 'tree' | 'trees' | 'synth' | 'eval' | 'evolve';

export interface ViewEntry {
  key: string;
  kind: ViewKind;
  /** Where it comes from, relative to the named run (or the name given on the command line for the run itself). */
  label: string;
}

export interface Catalogue {
  format: 'rstar-ts/view@1';
  title: string;
  /** The named run's own view (`v0`) first, then the runs and results inside it. */
  views: ViewEntry[];
}

/** A compiled vega spec (vega-lite compiled on the server) with its title. */
export interface PlotDoc {
  id: string;
  title: string;
  spec: unknown;
}

export interface TreeViewDoc {
  kind: 'tree';
  title: string;
  tree: string;
}

export interface TreeFileRow {
  file: string;
  question: string;
  mode: string;
  answer: string | null;
  gold: string | string[] | null;
  nodes: number;
  tokens: number;
  tree: string;
}

export interface TreesDoc {
  kind: 'trees';
  title: string;
  rows: TreeFileRow[];
  notes: string[];
}

export interface SynthRow {
  id: string;
  level: number | null;
  tier: string;
  solveRate: number;
  correctTerminals: number;
  terminals: number;
  /** The search's own answer matches the gold one. */
  correct: boolean;
  answer: string | null;
  gold: string | string[];
  question: string;
  tokens: number;
  nodes: number;
  tree: string;
}

export interface SynthDoc {
  kind: 'synth';
  title: string;
  status: string | null;
  config: Record<string, unknown> | null;
  rows: SynthRow[];
  notes: string[];
}

export interface EvalRow {
  id: string;
  level: number | null;
  gold: string | string[];
  answer: string | null;
  verdict: string;
  correct: boolean;
  tokens: number;
  ms: number;
  prediction: string;
  votes: Array<{ answer: string; count: number }> | null;
  error: string | null;
  tree: string | null;
}

export interface EvalDoc {
  kind: 'eval';
  title: string;
  summary: EvalSummary;
  plots: PlotDoc[];
  rows: EvalRow[];
  notes: string[];
}

export interface EvolveRoundRow {
  round: number;
  status: string;
  policy: string;
  /** Accuracy by mode label (null: not evaluated). */
  accuracy: Record<string, number | null>;
  coverage: { solved: number; total: number } | null;
  sftExamples: number | null;
  ppmPairs: number | null;
  ppmPairAccuracy: number | null;
  /** Per rung (level) and mode: accuracy and mean tokens per problem; the last row is `all`. */
  perLevel: Array<{ level: string; cells: Record<string, { accuracy: number; tokens: number } | null> }>;
  /** The round's synthesis/sampling runs and eval results, as views. */
  links: Array<{ label: string; view: string }>;
}

export interface EvolveDoc {
  kind: 'evolve';
  title: string;
  command: string;
  testSet: string;
  evalN: number;
  modes: string[];
  rounds: EvolveRoundRow[];
  plots: PlotDoc[];
  notes: string[];
}

export type ViewDoc = TreeViewDoc | TreesDoc | SynthDoc | EvalDoc | EvolveDoc;

/** Everything a static export inlines. */
export interface StaticData {
  catalogue: Catalogue;
  views: Record<string, ViewDoc>;
  trees: Record<string, TreeJSON>;
}
