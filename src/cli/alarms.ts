import type { Command } from 'commander';

/** `tms alarms list|show|ack|rules`. */
export const registerAlarmCommands = (_program: Command): void => undefined;
