import { buildProgram } from './cli/program.ts';
import { exitQuietlyWhenOutputCloses, reportAndExit } from './cli/output.ts';

// The single entry point: every command (`tms up`, `tms db status`, `tms sim …`) starts here.
exitQuietlyWhenOutputCloses();
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  reportAndExit(e);
}
