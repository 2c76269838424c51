import { Option, type Command } from 'commander';
import { DEFAULT_KV_CACHE_MB } from '../models/onnx/engine.js';
import { PROMPT_TEMPLATE_NAMES } from '../models/http/templates.js';
import { openRuntime as open, RuntimeOptionsError, isUrl, type Runtime, type RuntimeOptions } from '../runtime.js';
import { UserError } from './errors.js';
import { intOption, floatOption } from './options.js';

// The composition root is src/runtime.ts; this file holds its command-line side.
export { isUrl, bundleHasPpm, type Runtime, type RuntimeOptions } from '../runtime.js';

/** openRuntime for a command: options it cannot honour become a UserError (message shown as is, exit code 2). */
export async function openRuntime(o: RuntimeOptions): Promise<Runtime> {
  try {
    return await open(o);
  } catch (e) {
    throw e instanceof RuntimeOptionsError ? new UserError(e.message) : e;
  }
}

/**
 * Adds the served-model options to a search command: `--policy <url>` (`policyHelp` is appended to
 * its help), `--policy-model`, `--api-key-env`, `--policy-template`, `--policy-concurrency`,
 * `--policy-timeout-ms`, `--reward <url>`, `--reward-model`, `--reward-kind`, `--ppm`, `--kv-cache-mb`.
 * The model bundle itself is each command's `--bundle <dir>`. Pass the parsed options through
 * `modelOptions(o)` to openRuntime.
 */
export function addModelOptions(cmd: Command, opts: { policyHelp?: string } = {}): Command {
  cmd
    .option(
      '--policy <url>',
      'served policy: OpenAI-compatible base URL(s), e.g. http://127.0.0.1:8000/v1 (comma-separated replicas); replaces the bundle policy' +
        (opts.policyHelp ?? ''),
    )
    .option('--policy-model <name>', 'model name on the policy server (default: its only model, when /models lists exactly one)')
    .option('--api-key-env <VAR>', 'environment variable holding the API key of the servers', 'OPENAI_API_KEY')
    .addOption(
      new Option(
        '--policy-template <t>',
        `prompt template for the served policy (${PROMPT_TEMPLATE_NAMES.join(', ')}, a tokenizer_config.json or .jinja)`,
      ).default('rstar-sft'),
    )
    .option('--policy-concurrency <n>', 'HTTP requests in flight to the policy servers', intOption('--policy-concurrency', 1, 4096), 16)
    .option('--policy-timeout-ms <n>', 'timeout of one policy request', intOption('--policy-timeout-ms', 100), 300_000)
    .option('--reward <url>', 'served reward model: base URL(s) (rstar serve /v1, or a vLLM server with --reward-kind vllm-prm)')
    .option('--reward-model <name>', 'model name on the reward server')
    .addOption(new Option('--reward-kind <k>', 'reward API').choices(['rstar', 'vllm-prm']).default('rstar'))
    .option('--ppm <bundle>', "embedded process preference model: a bundle with ppm.onnx (default: the policy bundle's PPM when it has one)")
    .option(
      '--kv-cache-mb <n>',
      "memory cap of the embedded engine's prefix cache (KV of earlier prompts and generations, LRU; 0: off)",
      floatOption('--kv-cache-mb', 0),
      DEFAULT_KV_CACHE_MB,
    );
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
