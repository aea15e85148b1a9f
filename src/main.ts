import { buildProgram } from './cli/program.ts';
import { reportAndExit } from './cli/output.ts';

// The single entry point: every command (`tms up`, `tms db status`, `tms sim …`) starts here.
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  reportAndExit(e);
}
