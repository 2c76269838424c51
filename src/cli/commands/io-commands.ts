import type { Command } from 'commander';
import { runExecCommand } from '../../sandbox/exec-command.js';
import { runGradeCommand } from '../../grade/grade-command.js';
import { intOption } from '../options.js';

export function registerIoCommands(program: Command): void {
  program
    .command('exec')
    .description('execute JSONL {"id","code","timeout_ms"?} from stdin in the sandbox; writes {"id","status","stdout","error","ms"} lines')
    .option('--workers <n>', 'sandbox workers', intOption('--workers', 1, 256))
    .option('--unsafe-no-sandbox', 'run without isolation (development only)')
    .option('--json', 'JSONL output (the default)')
    .action(async (o) => {
      process.exitCode = await runExecCommand(process.stdin, process.stdout, { workers: o.workers, unsafeNoSandbox: o.unsafeNoSandbox });
    });
  program
    .command('grade')
    .description('grade JSONL {"pred","gold"} from stdin; writes {"equal","pred_extracted","gold_normalized"} lines')
    .option('--json', 'JSONL output (the default)')
    .action(async () => {
      process.exitCode = await runGradeCommand(process.stdin, process.stdout);
    });
}
