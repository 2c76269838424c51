/**
 * rStar-Math's step protocol: a solution is a `<code>` block of steps, each step being comment lines
 * (the reasoning) plus Python, ended by `<end_of_step>`; the last step prints the answer and ends with
 * `<end_of_code>`, followed by the interpreter output and the answer sentence with `\boxed{}`.
 */
export const TAGS = {
  user: '<|user|>',
  assistant: '<|assistant|>',
  code: '<code>',
  endOfStep: '<end_of_step>',
  endOfCode: '<end_of_code>',
  output: '<output>',
  endOfOutput: '<end_of_output>',
  answer: '<answer>',
  endOfAnswer: '<end_of_answer>',
} as const;

export const SPECIAL_TOKENS = [
  '<|endoftext|>',
  '<|pad|>',
  TAGS.user,
  TAGS.assistant,
  TAGS.code,
  TAGS.endOfStep,
  TAGS.endOfCode,
  TAGS.output,
  TAGS.endOfOutput,
  TAGS.answer,
  TAGS.endOfAnswer,
] as const;

export const EOS = '<|endoftext|>';
export const PAD = '<|pad|>';
export const FINAL_ANSWER_COMMENT = '# Now print the final answer';
export const ASSISTANT_PREFIX = "Let's think step by step and solve the problem with code.";

/** rStar-Math's SFT prompt; the policy continues it with `<code>` and the steps. */
export function formatPrompt(question: string): string {
  return `${TAGS.user}:\n${question}\n${TAGS.assistant}: ${ASSISTANT_PREFIX}`;
}

export interface Step {
  /** The step exactly as generated, without its closing tag. */
  text: string;
  /** Comment lines with '#' stripped: the natural-language reasoning. */
  reasoning: string[];
  /** The executable Python of this step (comment-only lines removed). */
  code: string;
}

export interface ParsedSolution {
  steps: Step[];
  /** True when the code block was closed with `<end_of_code>`. */
  complete: boolean;
  output: string | null;
  answer: string | null;
  /** The content of the last `\boxed{}` in the answer sentence, if any. */
  boxed: string | null;
}

export function splitStep(text: string): Step {
  const reasoning: string[] = [];
  const codeLines: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('#')) reasoning.push(t.replace(/^#+\s?/, ''));
    else codeLines.push(line);
  }
  const code = codeLines.join('\n').replace(/^\n+|\s+$/g, '');
  return { text, reasoning, code };
}

/** Last `\boxed{...}` (or `\fbox{...}`) content with brace matching. */
export function lastBoxed(text: string): string | null {
  let best: string | null = null;
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    if (depth === 0) best = text.slice(start, i - 1);
  }
  return best;
}

function between(text: string, open: string, close: string): string | null {
  const a = text.lastIndexOf(open);
  if (a < 0) return null;
  const b = text.indexOf(close, a + open.length);
  return b < 0 ? text.slice(a + open.length) : text.slice(a + open.length, b);
}

/**
 * Parses a response (or prompt + response) in the step protocol. Anything before `<code>` (the
 * prompt, the assistant preamble) is ignored.
 */
export function parseSolution(response: string): ParsedSolution {
  const codeStart = response.indexOf(TAGS.code);
  const body = codeStart >= 0 ? response.slice(codeStart + TAGS.code.length) : response;
  const endCode = body.indexOf(TAGS.endOfCode);
  const codePart = endCode >= 0 ? body.slice(0, endCode) : body;
  const tail = endCode >= 0 ? body.slice(endCode + TAGS.endOfCode.length) : '';
  const pieces = codePart.split(TAGS.endOfStep);
  const steps: Step[] = [];
  for (const piece of pieces) {
    if (piece.trim() === '') continue;
    steps.push(splitStep(piece.replace(/^\n+/, '').replace(/\s+$/, '')));
  }
  const output = tail.includes(TAGS.output) ? between(tail, TAGS.output, TAGS.endOfOutput) : null;
  const answer = tail.includes(TAGS.answer) ? between(tail, TAGS.answer, TAGS.endOfAnswer) : null;
  return {
    steps,
    complete: endCode >= 0,
    output: output === null ? null : output.trim(),
    answer: answer === null ? null : answer.trim(),
    boxed: answer === null ? null : lastBoxed(answer),
  };
}

/** The accumulated code of a path: what the sandbox runs at each step. */
export function accumulatedCode(steps: Array<Pick<Step, 'code'>>): string {
  return steps
    .map((s) => s.code)
    .filter((c) => c.trim() !== '')
    .join('\n');
}

/** Formats a step body (comments + code) as it appears inside the code block. */
export function formatStep(reasoning: string[], code: string): string {
  const lines = reasoning.map((r) => `# ${r}`);
  if (code.trim() !== '') lines.push(code.replace(/\s+$/, ''));
  return lines.join('\n');
}

/**
 * Renders a complete solution in the step protocol. `stepTexts` are step bodies; the last one must
 * print the final answer. `output` is the interpreter output, `answerSentence` contains \boxed{}.
 */
export function formatSolution(stepTexts: string[], output: string, answerSentence: string): string {
  const parts: string[] = [TAGS.code, '\n'];
  stepTexts.forEach((t, i) => {
    parts.push(t.replace(/\s+$/, ''));
    parts.push(i === stepTexts.length - 1 ? `\n${TAGS.endOfCode}\n` : `\n${TAGS.endOfStep}\n\n`);
  });
  parts.push(`${TAGS.output}${output.trim()}${TAGS.endOfOutput}\n`);
  parts.push(`${TAGS.answer}${answerSentence.trim()}\n${TAGS.endOfAnswer}`);
  return parts.join('');
}

/** The output block the search appends after `<end_of_code>` once the sandbox has run the code. */
export function formatOutput(stdout: string): string {
  return `${TAGS.output}${stdout.trim()}${TAGS.endOfOutput}\n`;
}
