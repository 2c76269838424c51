import { z } from 'zod';

/**
 * The PyTorch trainer's JSON-line events (one object per stdout line). Known events are
 * validated field by field; any other `event` passes through as an `OtherEvent`.
 */
const num = z.number();
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

export const startEventSchema = loose({ event: z.literal('start'), command: z.string() });
export const stepEventSchema = loose({
  event: z.literal('step'),
  step: z.number().int(),
  epoch: z.number().int(),
  loss: num,
  lr: num,
  tokens_per_s: num,
  tokens_seen: z.number().int(),
  elapsed_s: num,
});
export const evalEventSchema = loose({ event: z.literal('eval'), step: z.number().int(), val_loss: num });
export const saveEventSchema = loose({ event: z.literal('save'), step: z.number().int(), path: z.string(), reason: z.string() });
export const exportEventSchema = loose({
  event: z.literal('export'),
  kind: z.enum(['policy', 'ppm']),
  path: z.string(),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export const benchResultSchema = loose({
  batch: z.number().int(),
  new_tokens: z.number().int(),
  tokens_per_s: num,
  decode_tokens_per_s: num.nullable(),
  prefill_ms: num,
  total_ms: num,
});
export const resultEventSchema = benchResultSchema.extend({ event: z.literal('result') });
export const doneEventSchema = loose({ event: z.literal('done'), command: z.string() });
export const errorEventSchema = loose({ event: z.literal('error'), message: z.string() });
export const otherEventSchema = loose({ event: z.string() });

export type StartEvent = z.infer<typeof startEventSchema>;
export type StepEvent = z.infer<typeof stepEventSchema>;
export type EvalEvent = z.infer<typeof evalEventSchema>;
export type SaveEvent = z.infer<typeof saveEventSchema>;
export type ExportEvent = z.infer<typeof exportEventSchema>;
export type BenchResult = z.infer<typeof benchResultSchema>;
export type ResultEvent = z.infer<typeof resultEventSchema>;
export type DoneEvent = z.infer<typeof doneEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type OtherEvent = z.infer<typeof otherEventSchema>;
export type TrainerEvent = StartEvent | StepEvent | EvalEvent | SaveEvent | ExportEvent | ResultEvent | DoneEvent | ErrorEvent | OtherEvent;

const byName: Record<string, z.ZodType<TrainerEvent>> = {
  start: startEventSchema,
  step: stepEventSchema,
  eval: evalEventSchema,
  save: saveEventSchema,
  export: exportEventSchema,
  result: resultEventSchema,
  done: doneEventSchema,
  error: errorEventSchema,
};

/** Parses one stdout line; throws with the field that failed. */
export function parseTrainerEvent(line: string): TrainerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error(`trainer printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const base = otherEventSchema.safeParse(raw);
  if (!base.success) throw new Error(`trainer event without an "event" field: ${line.slice(0, 200)}`);
  const schema = byName[base.data.event] ?? otherEventSchema;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`trainer "${base.data.event}" event: field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}

/** The `done` event of `sft`, with the metrics that also land in OUT/train_metrics.json. */
export const sftMetricsSchema = loose({
  final_train_loss: num.nullable(),
  first_train_loss: num.nullable(),
  val_loss: num.nullable(),
  steps: z.number().int(),
  tokens_seen: z.number().int(),
  wall_time_s: num,
  device: z.string(),
  torch: z.string(),
  data: loose({ path: z.string(), sha256: z.string(), examples: z.number().int() }),
});
export const sftDoneSchema = doneEventSchema.extend({ command: z.literal('sft'), checkpoint: z.string(), metrics: sftMetricsSchema });
export type SftDone = z.infer<typeof sftDoneSchema>;

const ioSchema = z.object({ name: z.string(), type: z.string(), shape: z.array(z.union([z.string(), z.number()])) });
export const exportDoneSchema = doneEventSchema.extend({
  command: z.literal('export'),
  kind: z.enum(['policy', 'ppm']),
  onnx: loose({ path: z.string(), bytes: z.number().int(), sha256: z.string() }),
  opset: z.number().int(),
  torch: z.string(),
  config: z.record(z.string(), z.unknown()),
  inputs: z.array(ioSchema),
  outputs: z.array(ioSchema),
});
export type ExportDone = z.infer<typeof exportDoneSchema>;

export const benchDoneSchema = doneEventSchema.extend({
  command: z.literal('bench-generate'),
  results: z.array(benchResultSchema),
  torch: z.string(),
  threads: z.number().int(),
});
export type BenchDone = z.infer<typeof benchDoneSchema>;
