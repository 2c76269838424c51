import { existsSync } from 'node:fs';
import { loadBundle, readManifest, type Bundle } from './models/bundle.js';
import { OnnxReward } from './models/onnx/reward.js';
import { OnnxPolicy } from './models/onnx/engine.js';
import type { Policy, RewardModel } from './models/types.js';
import { OpenAIPolicy, servedModel } from './models/http/openai-policy.js';
import { HttpRewardModel } from './models/http/reward.js';
import { promptTemplate } from './models/http/templates.js';
import { BatchingPolicy } from './models/batching/policy.js';
import { BatchingReward } from './models/batching/reward.js';
import { createSandbox } from './sandbox/index.js';
import { createJudge } from './grade/index.js';
import type { SearchDeps } from './search/types.js';
import { isUrl } from './util/url.js';

export { isUrl };

/**
 * The options of openRuntime are wrong or name something unusable (a missing bundle, an unreachable
 * or misnamed served model, conflicting reward options): the caller's to fix. The message names the
 * option as the CLI spells it (`--reward`, `--ppm`, ...); `cause` holds the underlying error, if any.
 */
export class RuntimeOptionsError extends Error {}

/** The message of an error raised while opening a model, kept; its cause attached. */
const optionsError = (e: unknown) => (e instanceof RuntimeOptionsError ? e : new RuntimeOptionsError((e as Error).message, { cause: e }));

export interface RuntimeOptions {
  /** Model bundle directory, or an http(s) URL of an OpenAI-compatible server (then `policyModel` is needed). */
  bundle: string;
  /** Served policy: http(s) URL(s) of OpenAI-compatible servers, comma-separated replicas; overrides `bundle`'s policy. */
  policy?: string;
  policyModel?: string;
  /** Name of the environment variable holding the API key (default OPENAI_API_KEY when set). */
  apiKeyEnv?: string;
  policyTemplate?: string;
  policyConcurrency?: number;
  policyTimeoutMs?: number;
  /** Served reward model: http(s) URL(s). */
  reward?: string;
  rewardModel?: string;
  rewardKind?: 'rstar' | 'vllm-prm';
  /** Embedded PPM: a bundle directory with ppm.onnx (default: the policy bundle's own PPM, if it has one). */
  ppm?: string;
  threads?: number;
  maxBatch?: number;
  /** Memory cap of the embedded engine's prefix cache (MiB). */
  kvCacheMb?: number;
  seed?: number;
  workers?: number;
  unsafeNoSandbox?: boolean;
  /** Load no reward model, even when the bundle has a PPM (work that uses none, e.g. terminal-guided synthesis). */
  noReward?: boolean;
}

export interface Runtime {
  deps: SearchDeps;
  /** The embedded engine (null when the policy is served over HTTP). */
  engine: OnnxPolicy | null;
  /** The policy backend under the batching layer (OnnxPolicy or OpenAIPolicy). */
  backend: Policy;
  batching: BatchingPolicy;
  close(): Promise<void>;
}

const urls = (s: string) =>
  s
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);

function apiKey(o: RuntimeOptions): string | undefined {
  const v = o.apiKeyEnv ?? 'OPENAI_API_KEY';
  const k = process.env[v];
  if (o.apiKeyEnv && o.apiKeyEnv !== 'OPENAI_API_KEY' && !k) throw new RuntimeOptionsError(`--api-key-env ${v}: the environment variable ${v} is not set`);
  return k || undefined;
}

/** Builds the served policy and checks it answers for the model (clear error when unreachable or misnamed). */
export async function openHttpPolicy(o: RuntimeOptions & { policy: string }): Promise<OpenAIPolicy> {
  let policy: OpenAIPolicy;
  try {
    // Without --policy-model, the server's model when it serves exactly one.
    const model = o.policyModel ?? (await servedModel({ baseUrls: urls(o.policy), apiKey: apiKey(o), timeoutMs: o.policyTimeoutMs }));
    policy = new OpenAIPolicy({
      baseUrls: urls(o.policy),
      model,
      apiKey: apiKey(o),
      concurrency: o.policyConcurrency,
      timeoutMs: o.policyTimeoutMs,
      template: o.policyTemplate ? promptTemplate(o.policyTemplate) : undefined,
    });
    await policy.check();
  } catch (e) {
    throw optionsError(e);
  }
  return policy;
}

/** A bundle's embedded models as `rstar serve` serves them: its policy and its PPM, each when the bundle has one. */
export async function openBundleModels(
  dir: string,
  o: Pick<RuntimeOptions, 'threads' | 'maxBatch' | 'seed' | 'kvCacheMb'> = {},
): Promise<{ bundle: Bundle; policy?: OnnxPolicy; reward?: OnnxReward }> {
  if (!existsSync(dir)) throw new RuntimeOptionsError(`model bundle not found: ${dir}`);
  try {
    const bundle = loadBundle(dir);
    const policy = bundle.policyPath
      ? await OnnxPolicy.load(bundle, { threads: o.threads, maxBatch: o.maxBatch, seed: o.seed, kvCacheMb: o.kvCacheMb })
      : undefined;
    const reward = bundle.ppmPath ? await OnnxReward.load(bundle, { threads: o.threads }) : undefined;
    if (!policy && !reward) throw new Error(`${dir}: the bundle has neither a policy nor a PPM`);
    return { bundle, policy, reward };
  } catch (e) {
    throw optionsError(e);
  }
}

export function bundleHasPpm(dir: string): boolean {
  try {
    return !!readManifest(dir).ppm;
  } catch {
    return false;
  }
}

/**
 * The composition root: loads the policy (embedded bundle or served), the reward model (embedded PPM
 * or served), the sandbox pool and the grader, as the search functions' `SearchDeps`. Options that
 * cannot be honoured throw RuntimeOptionsError. Close the runtime when done.
 */
export async function openRuntime(o: RuntimeOptions): Promise<Runtime> {
  const served = o.policy ?? (isUrl(o.bundle) ? o.bundle : undefined);
  let engine: OnnxPolicy | null = null;
  let backend: Policy;
  if (served) {
    backend = await openHttpPolicy({ ...o, policy: served });
  } else {
    if (!existsSync(o.bundle)) throw new RuntimeOptionsError(`model bundle not found: ${o.bundle}`);
    try {
      engine = await OnnxPolicy.load(loadBundle(o.bundle), { threads: o.threads, maxBatch: o.maxBatch, seed: o.seed, kvCacheMb: o.kvCacheMb });
    } catch (e) {
      throw optionsError(e);
    }
    backend = engine;
  }
  let reward: RewardModel | undefined;
  if (o.reward && o.ppm) throw new RuntimeOptionsError('give --reward URL or --ppm BUNDLE, not both');
  const ppmDir = o.noReward ? undefined : (o.ppm ?? (!served && !o.reward && bundleHasPpm(o.bundle) ? o.bundle : undefined));
  if (ppmDir) {
    if (!existsSync(ppmDir)) throw new RuntimeOptionsError(`--ppm: model bundle not found: ${ppmDir}`);
    try {
      reward = new BatchingReward(await OnnxReward.load(loadBundle(ppmDir), { threads: o.threads }));
    } catch (e) {
      throw optionsError(e);
    }
  }
  if (o.reward) {
    if (!isUrl(o.reward)) throw new RuntimeOptionsError(`--reward must be an http(s) URL, got "${o.reward}"`);
    if (!o.rewardModel) throw new RuntimeOptionsError('--reward-model is required with --reward');
    reward = new BatchingReward(
      new HttpRewardModel({ baseUrls: urls(o.reward), model: o.rewardModel, kind: o.rewardKind, apiKey: apiKey(o), timeoutMs: o.policyTimeoutMs }),
    );
  }
  const batching = new BatchingPolicy(backend);
  const executor = await createSandbox({ workers: o.workers, unsafeNoSandbox: o.unsafeNoSandbox });
  const judge = createJudge();
  return {
    deps: { policy: batching, executor, judge, ...(reward ? { reward } : {}) },
    engine,
    backend,
    batching,
    async close() {
      await executor.close();
      await backend.close();
      await reward?.close();
    },
  };
}
