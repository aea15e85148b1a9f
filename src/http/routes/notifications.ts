import type { App, RouteDeps } from './deps.ts';

/** Notification channels (CRUD, test send) and the delivery log. */
export const registerNotificationRoutes = (_app: App, _deps: RouteDeps): void => undefined;
