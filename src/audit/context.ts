import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActorKind } from '../domain/audit-chain.ts';

// Who is acting, and why, for the audit entries written while a request or a CLI operation runs. The
// edges set it once (the API's audit plugin from the verified token and the body's `reason`; the CLI's
// operation runner as `cli:<os user>` with `--reason`), so the verbs that change records need no extra
// parameter to say who they act for. Work started by the system itself (retention, scheduled reports)
// runs without a scope and is recorded as `system:<job>` where the job says so.

export interface AuditActor {
  kind: ActorKind;
  tokenId: string | null;
  /** The token's name (as people know it), `cli:<os user>`, or `system:<job>`. */
  name: string;
}

export interface AuditScope {
  actor: AuditActor;
  /** The `reason` the caller gave for this change, if any. */
  reason?: string;
}

const storage = new AsyncLocalStorage<AuditScope>();

/** The system acting on its own: no request, no CLI user. */
export const SYSTEM_ACTOR: AuditActor = { kind: 'system', tokenId: null, name: 'system' };

/** Runs `fn` with `scope` as who acts and why, for every audit entry written inside it. */
export const runAs = <T>(scope: AuditScope, fn: () => T): T => storage.run(scope, fn);

/** The scope of the current request or operation; the system actor outside any. */
export const currentAuditScope = (): AuditScope => storage.getStore() ?? { actor: SYSTEM_ACTOR };

/** The CLI's actor: `cli:` and the operating-system user who ran the command. */
export const cliActor = (osUser: string): AuditActor => ({ kind: 'cli', tokenId: null, name: `cli:${osUser}` });

/** A background job of the system: `system:<job>`. */
export const systemActor = (job: string): AuditActor => ({ kind: 'system', tokenId: null, name: `system:${job}` });
