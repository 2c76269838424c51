import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The trainer's options as the trainer declares them: trainer/rstar_trainer/options.json, the one
 * source of their names, types, defaults, choices and bounds. Python builds its argparse from it;
 * here `trainerArgv` builds a command line from it (rejecting what it does not declare) and
 * src/cli/trainer-flags.ts turns its options into `rstar train` flags with the same defaults.
 */

/**
 * The repository's `trainer/` directory (the Python package `rstar_trainer` lives inside it).
 * Compiled, this file is dist/src/train/trainer-options.js (three levels below the root); run
 * from source it is src/train/ (two levels).
 */
export function trainerDir(): string {
  for (const rel of ['../../../trainer/', '../../trainer/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'rstar_trainer', '__main__.py'))) return dir;
  }
  throw new Error(`cannot find the trainer package (trainer/rstar_trainer) above ${fileURLToPath(import.meta.url)}`);
}

/** The names of the schema's commands and their options, as TypeScript sees the file (values are only checked at run time). */
type SchemaFile = typeof import('../../trainer/rstar_trainer/options.json', { with: { type: 'json' }});
type Commands = SchemaFile['commands'];
export type TrainerCommand = keyof Commands & string;
type Groups = SchemaFile['groups'];
type KeysOf<T> = T extends unknown ? keyof T & string : never;
/** An option's name on the command line (`max-steps`). */
export type TrainerOptionName<C extends TrainerCommand> =
  | (keyof Commands[C]['options'] & string)
  | (Commands[C] extends { groups: unknown } ? KeysOf<Groups[keyof Groups]> : never);
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Spec<C extends TrainerCommand, K extends string> = K extends keyof Commands[C]['options']
  ? Commands[C]['options'][K]
  : { [G in keyof Groups]: K extends keyof Groups[G] ? Groups[G][K] : never }[keyof Groups];
/** A value: typed like the option's default where it declares one. */
type ValueOf<S> = S extends { default: infer D } ? D | null : string | number | boolean | null;
/** The options of a trainer command by their camelCase names (`{ maxSteps: 10 }` → `--max-steps 10`). */
export type TrainerArgs<C extends TrainerCommand> = { [K in TrainerOptionName<C> as Camel<K>]?: ValueOf<Spec<C, K>> };
/** TrainerArgs with options `K` (which the schema must declare) required and typed `V`. */
export type TrainerArgsWith<C extends TrainerCommand, K extends keyof TrainerArgs<C>, V> = TrainerArgs<C> & { [P in K]: V };

const optionSpecSchema = z.strictObject({
  type: z.enum(['str', 'int', 'float', 'flag']),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().optional(),
  choices: z.array(z.string()).min(1).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  dest: z.string().optional(),
  help: z.string(),
});
export type TrainerOptionSpec = z.infer<typeof optionSpecSchema>;
const optionsSchema = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), optionSpecSchema);
const schemaSchema = z.looseObject({
  groups: z.record(z.string(), optionsSchema),
  commands: z.record(z.string(), z.strictObject({ help: z.string(), groups: z.array(z.string()).optional(), options: optionsSchema })),
});

let cached: Map<string, Map<string, TrainerOptionSpec>> | null = null;

/** The schema's file (read once). */
export const trainerOptionsFile = (): string => join(trainerDir(), 'rstar_trainer', 'options.json');

/** Every command's options, in the trainer's order (its own, then its groups'), read and checked once. */
export function trainerSchema(): Map<string, Map<string, TrainerOptionSpec>> {
  if (cached) return cached;
  const file = trainerOptionsFile();
  const parsed = schemaSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  const out = new Map<string, Map<string, TrainerOptionSpec>>();
  for (const [command, c] of Object.entries(parsed.data.commands)) {
    const options = new Map(Object.entries(c.options));
    for (const g of c.groups ?? []) {
      const group = parsed.data.groups[g];
      if (!group) throw new Error(`${file}: command ${command}: no group "${g}"`);
      for (const [name, spec] of Object.entries(group)) {
        if (options.has(name)) throw new Error(`${file}: ${command} --${name} is declared twice`);
        options.set(name, spec);
      }
    }
    out.set(command, options);
  }
  cached = out;
  return out;
}

function commandOptions(command: string): Map<string, TrainerOptionSpec> {
  const options = trainerSchema().get(command);
  if (!options) throw new Error(`rstar_trainer has no command "${command}" (commands: ${[...trainerSchema().keys()].join(', ')})`);
  return options;
}

/** One option's declaration; throws for an option the command does not have. */
export function trainerOption<C extends TrainerCommand>(command: C, name: TrainerOptionName<C>): TrainerOptionSpec {
  const spec = commandOptions(command).get(name);
  if (!spec) throw new Error(`rstar_trainer ${command} has no option --${name}`);
  return spec;
}

/** The trainer's default of an option (undefined when it declares none: the trainer then derives the value). */
export function trainerDefault<C extends TrainerCommand>(command: C, name: TrainerOptionName<C>): string | number | boolean | undefined {
  return trainerOption(command, name).default;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Why `value` is not a valid value of the option, or null when it is. */
export function checkTrainerValue(spec: TrainerOptionSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'flag':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'str':
      if (typeof value !== 'string') return 'must be a string';
      return spec.choices && !spec.choices.includes(value) ? `must be one of ${spec.choices.join(', ')}` : null;
    default: {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (spec.type === 'int' && !Number.isInteger(value)) return 'must be an integer';
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        return `must be ${spec.min !== undefined && spec.max !== undefined ? `between ${spec.min} and ${spec.max}` : spec.min !== undefined ? `>= ${spec.min}` : `<= ${spec.max}`}`;
      }
      return null;
    }
  }
}

/**
 * The command line of a trainer command from its options by camelCase name:
 * `trainerArgv('sft', { data: 'd.jsonl', out: 'o', batchSize: 32, resume: true, valData: undefined })` →
 * `['--data', 'd.jsonl', '--out', 'o', '--batch-size', '32', '--resume']`. Undefined and null values are
 * left to the trainer's defaults; an option the trainer does not declare, a value of the wrong type,
 * outside its choices or bounds, or a missing required option throws (before anything is started).
 */
export function trainerArgv<C extends TrainerCommand>(command: C, options: TrainerArgs<C>): string[] {
  const declared = commandOptions(command);
  const out: string[] = [];
  const given = new Set<string>();
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    const name = kebab(key);
    const spec = declared.get(name);
    if (!spec) throw new Error(`rstar_trainer ${command}: unknown option "${key}" (--${name}); it has ${[...declared.keys()].map((n) => `--${n}`).join(', ')}`);
    if (value === undefined || value === null) continue;
    given.add(name);
    const why = checkTrainerValue(spec, value);
    if (why) throw new Error(`rstar_trainer ${command}: option "${key}" (--${name}) ${why}, got ${JSON.stringify(value)}`);
    if (spec.type === 'flag') {
      if (value === true) out.push(`--${name}`);
    } else out.push(`--${name}`, String(value));
  }
  for (const [name, spec] of declared) {
    if (spec.required && !given.has(name)) throw new Error(`rstar_trainer ${command}: option --${name} is required`);
  }
  return out;
}
