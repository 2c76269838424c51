import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadBundle, readManifest } from '../models/bundle.js';
import { OnnxReward } from '../models/onnx/reward.js';
import { OnnxPolicy, DEFAULT_KV_CACHE_MB } from '../models/onnx/engine.js';
import type { Policy, RewardModel } from '../models/types.js';
import { OpenAIPolicy, servedModel } from '../models/http/openai-policy.js';
import { HttpRewardModel } from '../models/http/reward.js';
import { PROMPT_TEMPLATE_NAMES, promptTemplate } from '../models/http/templates.js';
import { BatchingPolicy } from '../search/batching-policy.js';
import { BatchingReward } from '../search/batching-reward.js';
import { createSandbox } from '../sandbox/index.js';
import { createJudge } from '../grade/index.js';
import type { SearchDeps } from '../search/types.js';
import { UserError } from './errors.js';
import { intOption, floatOption } from './options.js';

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

export const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\//i.test(s.trim());
const urls = (s: string) => s.split(',').map((u) => u.trim()).filter(Boolean);

/**
 * Adds the served-model options to a search command: `--policy <url>` (unless the command already
 * has its own --policy, e.g. synth's bundle flag, which then also accepts a URL), `--policy-model`,
 * `--api-key-env`, `--policy-template`, `--policy-concurrency`, `--policy-timeout-ms`, `--reward <url>`,
 * `--reward-model`, `--reward-kind`. Pass the parsed options through `modelOptions(o)` to openRuntime.
 */
export function addModelOptions(cmd: Command, opts: { policyFlag?: boolean } = {}): Command {
  if (opts.policyFlag !== false) cmd.option('--policy <url>', 'served policy: OpenAI-compatible base URL(s), e.g. http://127.0.0.1:8000/v1 (comma-separated replicas); replaces the bundle policy');
  cmd
    .option('--policy-model <name>', 'model name on the policy server (default: its only model, when /models lists exactly one)')
    .option('--api-key-env <VAR>', 'environment variable holding the API key of the servers', 'OPENAI_API_KEY')
    .addOption(new Option('--policy-template <t>', `prompt template for the served policy (${PROMPT_TEMPLATE_NAMES.join(', ')}, a tokenizer_config.json or .jinja)`).default('rstar-sft'))
    .option('--policy-concurrency <n>', 'HTTP requests in flight to the policy servers', intOption('--policy-concurrency', 1, 4096), 16)
    .option('--policy-timeout-ms <n>', 'timeout of one policy request', intOption('--policy-timeout-ms', 100), 300_000)
    .option('--reward <url>', 'served reward model: base URL(s) (rstar serve /v1, or a vLLM server with --reward-kind vllm-prm)')
    .option('--reward-model <name>', 'model name on the reward server')
    .addOption(new Option('--reward-kind <k>', 'reward API').choices(['rstar', 'vllm-prm']).default('rstar'))
    .option('--ppm <bundle>', "embedded process preference model: a bundle with ppm.onnx (default: the policy bundle's PPM when it has one)")
    .option('--kv-cache-mb <n>', 'memory cap of the embedded engine\'s prefix cache (KV of earlier prompts and generations, LRU; 0: off)', floatOption('--kv-cache-mb', 0), DEFAULT_KV_CACHE_MB);
  return cmd;
}

/** The served-model fields of RuntimeOptions from a command's parsed options. */
export function modelOptions(o: Record<string, unknown>): Partial<RuntimeOptions> {
  return {
    policy: typeof o.policy === 'string' && isUrl(o.policy) ? o.policy : undefined,
    policyModel: o.policyModel as string | undefined,
    apiKeyEnv: o.apiKeyEnv as string | undefined,
    policyTemplate: o.policyTemplate as string | undefined,
    policyConcurrency: o.policyConcurrency as number | undefined,
    policyTimeoutMs: o.policyTimeoutMs as number | undefined,
    reward: o.reward as string | undefined,
    rewardModel: o.rewardModel as string | undefined,
    rewardKind: o.rewardKind as 'rstar' | 'vllm-prm' | undefined,
    ppm: o.ppm as string | undefined,
    kvCacheMb: o.kvCacheMb as number | undefined,
  };
}

function apiKey(o: RuntimeOptions): string | undefined {
  const v = o.apiKeyEnv ?? 'OPENAI_API_KEY';
  const k = process.env[v];
  if (o.apiKeyEnv && o.apiKeyEnv !== 'OPENAI_API_KEY' && !k) throw new UserError(`--api-key-env ${v}: the environment variable ${v} is not set`);
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
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
  return policy;
}

export function bundleHasPpm(dir: string): boolean {
  try {
    return !!readManifest(dir).ppm;
  } catch {
    return false;
  }
}

/** Loads the policy (embedded bundle or served), the sandbox pool and the grader for a search command. */
export async function openRuntime(o: RuntimeOptions): Promise<Runtime> {
  const served = o.policy ?? (isUrl(o.bundle) ? o.bundle : undefined);
  let engine: OnnxPolicy | null = null;
  let backend: Policy;
  if (served) {
    backend = await openHttpPolicy({ ...o, policy: served });
  } else {
    if (!existsSync(o.bundle)) throw new UserError(`model bundle not found: ${o.bundle}`);
    try {
      engine = await OnnxPolicy.load(loadBundle(o.bundle), { threads: o.threads, maxBatch: o.maxBatch, seed: o.seed, kvCacheMb: o.kvCacheMb });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    backend = engine;
  }
  let reward: RewardModel | undefined;
  if (o.reward && o.ppm) throw new UserError('give --reward URL or --ppm BUNDLE, not both');
  const ppmDir = o.ppm ?? (!served && !o.reward && bundleHasPpm(o.bundle) ? o.bundle : undefined);
  if (ppmDir) {
    if (!existsSync(ppmDir)) throw new UserError(`--ppm: model bundle not found: ${ppmDir}`);
    try {
      reward = new BatchingReward(await OnnxReward.load(loadBundle(ppmDir), { threads: o.threads }));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  if (o.reward) {
    if (!isUrl(o.reward)) throw new UserError(`--reward must be an http(s) URL, got "${o.reward}"`);
    if (!o.rewardModel) throw new UserError('--reward-model is required with --reward');
    reward = new BatchingReward(new HttpRewardModel({ baseUrls: urls(o.reward), model: o.rewardModel, kind: o.rewardKind, apiKey: apiKey(o), timeoutMs: o.policyTimeoutMs }));
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
