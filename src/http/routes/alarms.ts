import type { App, RouteDeps } from './deps.ts';

/** Alarms: list, detail, acknowledge, shelve; a unit's alarm rules; the prototype's alarm history. */
export const registerAlarmRoutes = (_app: App, _deps: RouteDeps): void => undefined;
