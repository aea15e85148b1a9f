import { Command } from 'commander';
import { registerAlarmCommands } from './alarms.ts';
import { registerAuditCommands } from './audit.ts';
import { registerDbCommands } from './db.ts';
import { registerImportCommand } from './import.ts';
import { registerNotifyCommands } from './notify.ts';
import { registerOpenApiCommand } from './openapi.ts';
import { registerReportCommands } from './reports.ts';
import { registerRetentionCommands } from './retention.ts';
import { registerSimCommands } from './sim.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerUpCommand } from './up.ts';
import { registerVerifyCommand } from './verify.ts';

/** The `tms` command tree. Each group lives in its own file and calls transport-free feature code. */
export const buildProgram = (): Command => {
  const program = new Command()
    .name('tms')
    .description(
      'Temperature Monitoring System: collects cold-chain temperatures, stores them, serves them over a REST API.\n' +
        'Configuration comes from the environment (see docs/configuration.md); a .env file is read if present.',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerUpCommand(program);
  registerDbCommands(program);
  registerTokenCommands(program);
  registerSimCommands(program);
  registerImportCommand(program);
  registerVerifyCommand(program);
  registerOpenApiCommand(program);
  registerAlarmCommands(program);
  registerNotifyCommands(program);
  registerAuditCommands(program);
  registerReportCommands(program);
  registerRetentionCommands(program);
  return program;
};
