import { Option } from 'commander';
import { trainerOption, type TrainerCommand, type TrainerOptionName } from '../train/trainer-options.js';
import { intOption, floatOption } from './options.js';

const METAVAR = { str: 'value', int: 'n', float: 'x' } as const;

/**
 * A flag of `rstar train` that passes through to a trainer option, built from the trainer's own
 * declaration (trainer/rstar_trainer/options.json): the same name, type, bounds, choices and default,
 * so the CLI's defaults are the trainer's. `help` replaces the declared help text where the CLI
 * says it in its own terms. `recipeDefault` is for the few knobs the trainer leaves unset on purpose
 * (it derives them: one epoch, batches by token budget) that `rstar train` fixes for its recipe;
 * it throws for an option that has a default of its own, which is never overridden here.
 */
export function trainerFlag<C extends TrainerCommand>(
  command: C,
  name: TrainerOptionName<C>,
  o: { help?: string; metavar?: string; recipeDefault?: number } = {},
): Option {
  const spec = trainerOption(command, name);
  const flag = `--${name}`;
  const opt = new Option(spec.type === 'flag' ? flag : `${flag} <${o.metavar ?? METAVAR[spec.type]}>`, o.help ?? spec.help);
  if (spec.type === 'int') opt.argParser(intOption(flag, spec.min, spec.max));
  else if (spec.type === 'float') opt.argParser(floatOption(flag, spec.min, spec.max));
  if (spec.choices) opt.choices(spec.choices);
  if (o.recipeDefault !== undefined) {
    if (spec.default !== undefined) throw new Error(`rstar train: --${name} has the trainer's default ${spec.default}; a recipe default would be a second one`);
    opt.default(o.recipeDefault);
  } else if (spec.default !== undefined && spec.type !== 'flag') opt.default(spec.default);
  return opt;
}
