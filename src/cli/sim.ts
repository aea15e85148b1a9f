import type { Command } from 'commander';

/** `tms sim …`: the simulation verbs (filled in by the simulation feature). */
export const registerSimCommands = (program: Command): void => {
  program.command('sim').description('Customer simulation: templates, fleets, data files, mock customer servers');
};
