import { readFileSync } from 'node:fs';
import { ASSISTANT_PREFIX, TAGS, formatPrompt } from '../../steps/protocol.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A Jinja renderer (the chat templates of HF tokenizers are Jinja). */
export interface JinjaRenderer {
  render(template: string, context: Record<string, unknown>): string;
}

let jinja: JinjaRenderer | null | undefined;

/**
 * The real Jinja implementation HF uses in JS (`@huggingface/jinja`), loaded on first use; null when
 * the package is not installed (built-in templates then use their TS equivalents).
 */
export async function loadJinja(): Promise<JinjaRenderer | null> {
  if (jinja !== undefined) return jinja;
  const spec = '@huggingface/jinja';
  try {
    const mod = (await import(spec)) as { Template: new (t: string) => { render(ctx: Record<string, unknown>): string } };
    jinja = { render: (t, ctx) => new mod.Template(t).render(ctx) };
  } catch {
    jinja = null;
  }
  return jinja;
}

/** Chat templates of common models (Jinja source as in their tokenizer_config.json, tool calls left out). */
export const CHAT_TEMPLATES = {
  // Qwen2.5 / Qwen2.5-Math (ChatML).
  chatml:
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- set loop_messages = messages[1:] %}" +
    "{%- else %}{{- '<|im_start|>system\\nPlease reason step by step, and put your final answer within \\\\boxed{}.<|im_end|>\\n' }}{%- set loop_messages = messages %}{%- endif %}" +
    "{%- for message in loop_messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
  // Llama 3 / 3.1 Instruct.
  llama3:
    "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}",
  // DeepSeek-V2/V3 and R1 distills.
  deepseek:
    "{{- bos_token }}{%- set ns = namespace(system='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- set ns.system = message['content'] %}{%- endif %}{%- endfor %}{{- ns.system }}" +
    "{%- for message in messages %}{%- if message['role'] == 'user' %}{{- '<｜User｜>' + message['content'] }}{%- elif message['role'] == 'assistant' %}{{- '<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}{%- endif %}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<｜Assistant｜>' }}{%- endif %}",
} as const;
export type BuiltinChat = keyof typeof CHAT_TEMPLATES;

const TOKENS: Record<BuiltinChat, { bos: string; eos: string }> = {
  chatml: { bos: '', eos: '<|im_end|>' },
  llama3: { bos: '<|begin_of_text|>', eos: '<|eot_id|>' },
  deepseek: { bos: '<｜begin▁of▁sentence｜>', eos: '<｜end▁of▁sentence｜>' },
};

/** TS equivalents of the built-in templates (used when @huggingface/jinja is absent; tested equal to Jinja). */
export function renderBuiltin(name: BuiltinChat, messages: ChatMessage[], addGenerationPrompt: boolean): string {
  let s = '';
  if (name === 'chatml') {
    let rest = messages;
    if (messages[0]?.role === 'system') {
      s += `<|im_start|>system\n${messages[0].content}<|im_end|>\n`;
      rest = messages.slice(1);
    } else s += '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n';
    for (const m of rest) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
    if (addGenerationPrompt) s += '<|im_start|>assistant\n';
  } else if (name === 'llama3') {
    s += TOKENS.llama3.bos;
    for (const m of messages) s += `<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content.trim()}<|eot_id|>`;
    if (addGenerationPrompt) s += '<|start_header_id|>assistant<|end_header_id|>\n\n';
  } else {
    s += TOKENS.deepseek.bos;
    s +=
      messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .pop() ?? '';
    for (const m of messages) {
      if (m.role === 'user') s += `<｜User｜>${m.content}`;
      else if (m.role === 'assistant') s += `<｜Assistant｜>${m.content}<｜end▁of▁sentence｜>`;
    }
    if (addGenerationPrompt) s += '<｜Assistant｜>';
  }
  return s;
}

/** A chat template: a built-in name, or Jinja source (e.g. `chat_template` from a tokenizer_config.json). */
export class ChatTemplate {
  private constructor(
    readonly name: string,
    private readonly source: string,
    private readonly builtin: BuiltinChat | null,
    private readonly bos: string,
    private readonly eos: string,
  ) {}

  static builtin(name: BuiltinChat): ChatTemplate {
    return new ChatTemplate(name, CHAT_TEMPLATES[name], name, TOKENS[name].bos, TOKENS[name].eos);
  }

  /** Jinja source, with the bos/eos tokens the template refers to. */
  static jinja(source: string, opts: { name?: string; bosToken?: string; eosToken?: string } = {}): ChatTemplate {
    return new ChatTemplate(opts.name ?? 'jinja', source, null, opts.bosToken ?? '', opts.eosToken ?? '');
  }

  /** The chat_template (and bos/eos tokens) of an HF tokenizer_config.json. */
  static fromTokenizerConfig(path: string): ChatTemplate {
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path}: cannot read the tokenizer config: ${(e as Error).message}`);
    }
    let t = cfg.chat_template;
    if (Array.isArray(t)) t = (t.find((x) => (x as { name?: string }).name === 'default') as { template?: string } | undefined)?.template;
    if (typeof t !== 'string') throw new Error(`${path}: field "chat_template": missing (not a chat model's tokenizer config?)`);
    const tok = (v: unknown) => (typeof v === 'string' ? v : ((v as { content?: string } | undefined)?.content ?? ''));
    return ChatTemplate.jinja(t, { name: path, bosToken: tok(cfg.bos_token), eosToken: tok(cfg.eos_token) });
  }

  async render(messages: ChatMessage[], addGenerationPrompt = true): Promise<string> {
    const j = await loadJinja();
    if (j) return j.render(this.source, { messages, add_generation_prompt: addGenerationPrompt, bos_token: this.bos, eos_token: this.eos });
    if (this.builtin) return renderBuiltin(this.builtin, messages, addGenerationPrompt);
    throw new Error(`chat template ${this.name}: rendering a custom Jinja template needs the @huggingface/jinja package (npm install @huggingface/jinja)`);
  }
}

/** rStar's SFT prompt: `<|user|>:\n{question}\n<|assistant|>: Let's think step by step and solve the problem with code.` */
export const rstarSftPrompt = formatPrompt;

/** rStar's few-shot instruction for bootstrapping a general instruct model into the step protocol (round 1). */
export const RSTAR_FEWSHOT_INSTRUCTION = `You are a powerful agent with broad math knowledge and great Python programming skills. You solve math problems step by step with code.
Each step contains Python comments (the reasoning of the step) and Python code, and ends with ${TAGS.endOfStep}. The code of every step is executed together with the code of all previous steps.
The last step prints the final answer: it starts with the comment "# Now print the final answer" and ends with ${TAGS.endOfCode}. Then the execution output follows in ${TAGS.output}...${TAGS.endOfOutput}, and the answer sentence with \\boxed{} in ${TAGS.answer}...${TAGS.endOfAnswer}.`;

export const RSTAR_FEWSHOT_EXAMPLES: Array<{ question: string; solution: string }> = [
  {
    question: 'A baker makes 24 muffins and sells them in boxes of 6. Each box costs $5. How much money does the baker make if all boxes are sold?',
    solution: `${TAGS.code}
# Step 1: Count the boxes: 24 muffins in boxes of 6
boxes = 24 // 6
${TAGS.endOfStep}
# Step 2: Each box costs $5
money = boxes * 5
${TAGS.endOfStep}
# Now print the final answer
print(money)
${TAGS.endOfCode}
${TAGS.output}20${TAGS.endOfOutput}
${TAGS.answer}The baker makes \\boxed{20} dollars.${TAGS.endOfAnswer}`,
  },
  {
    question: 'What is the sum of the solutions of x^2 - 5x + 6 = 0?',
    solution: `${TAGS.code}
# Step 1: Solve the quadratic equation with sympy
from sympy import symbols, solve
x = symbols('x')
roots = solve(x**2 - 5*x + 6, x)
${TAGS.endOfStep}
# Step 2: Add the solutions
total = sum(roots)
${TAGS.endOfStep}
# Now print the final answer
print(total)
${TAGS.endOfCode}
${TAGS.output}5${TAGS.endOfOutput}
${TAGS.answer}The sum of the solutions is \\boxed{5}.${TAGS.endOfAnswer}`,
  },
];

/** The few-shot MCTS prompt (plain text, for completion models): instruction, examples, then the question. */
export function rstarFewShotPrompt(question: string, examples = RSTAR_FEWSHOT_EXAMPLES): string {
  const shots = examples.map((e) => `${TAGS.user}:\n${e.question}\n${TAGS.assistant}: ${ASSISTANT_PREFIX}\n${e.solution}`).join('\n\n');
  return `${RSTAR_FEWSHOT_INSTRUCTION}\n\n${shots}\n\n${formatPrompt(question)}`;
}

/** Splits an rStar prompt (SFT format, maybe followed by the partial solution) into question and partial solution. */
export function splitRstarPrompt(prompt: string): { question: string; partial: string } | null {
  const head = `${TAGS.user}:\n`;
  const mid = `\n${TAGS.assistant}: ${ASSISTANT_PREFIX}`;
  const at = prompt.lastIndexOf(head);
  if (at < 0) return null;
  const end = prompt.indexOf(mid, at + head.length);
  if (end < 0) return null;
  return { question: prompt.slice(at + head.length, end), partial: prompt.slice(end + mid.length) };
}

/** Rewrites the search's rStar prompts for a served model. */
export interface PromptTemplate {
  readonly name: string;
  render(rstarPrompt: string): Promise<string>;
}

export const PROMPT_TEMPLATE_NAMES = ['rstar-sft', 'rstar-fewshot', 'chatml', 'llama3', 'deepseek'] as const;

/**
 * `rstar-sft`: as is (models trained on rStar's SFT data). `rstar-fewshot`: the few-shot instruction and
 * examples prepended. A chat template (built-in name or a tokenizer_config.json / .jinja path): the
 * instruction and question as the user turn, then the assistant's partial solution after the generation prompt.
 */
export function promptTemplate(spec: string): PromptTemplate {
  if (spec === 'rstar-sft') return { name: spec, render: async (p) => p };
  if (spec === 'rstar-fewshot') {
    return {
      name: spec,
      render: async (p) => {
        const s = splitRstarPrompt(p);
        return s ? rstarFewShotPrompt(s.question) + s.partial : p;
      },
    };
  }
  let chat: ChatTemplate;
  if (spec in CHAT_TEMPLATES) chat = ChatTemplate.builtin(spec as BuiltinChat);
  else if (spec.endsWith('.json')) chat = ChatTemplate.fromTokenizerConfig(spec);
  else if (spec.endsWith('.jinja')) chat = ChatTemplate.jinja(readFileSync(spec, 'utf8'), { name: spec });
  else throw new Error(`unknown prompt template "${spec}": use one of ${PROMPT_TEMPLATE_NAMES.join(', ')}, a tokenizer_config.json or a .jinja file`);
  return {
    name: spec,
    render: async (p) => {
      const s = splitRstarPrompt(p);
      if (!s) return chat.render([{ role: 'user', content: p }], true);
      const shots = RSTAR_FEWSHOT_EXAMPLES.map((e) => `Question: ${e.question}\n${e.solution}`).join('\n\n');
      const user = `${RSTAR_FEWSHOT_INSTRUCTION}\n\nExamples:\n\n${shots}\n\nQuestion: ${s.question}`;
      return (await chat.render([{ role: 'user', content: user }], true)) + s.partial.replace(/^\n/, '');
    },
  };
}
