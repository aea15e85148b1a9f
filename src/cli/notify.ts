import type { Command } from 'commander';

/** `tms notify test`. */
export const registerNotifyCommands = (_program: Command): void => undefined;
