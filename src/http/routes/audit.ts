import type { Static } from 'typebox';
import { listAllAudit, listCustomerAudit, verifyAudit, type AuditQuery } from '../../audit/audit-verbs.ts';
import { AdminAuditListQuery, AuditChainReport, AuditEntry, AuditListQuery } from '../schemas/audit.ts';
import { forReads } from '../../readings/context.ts';
import { Paginated, toPage } from '../schemas/common.ts';
import { BEARER, rangeOf, tenantOf, type App, type RouteDeps } from './deps.ts';

/** The query string as the verbs' filter (the customer's and the admin's list share it). */
const auditQueryOf = (q: Static<typeof AuditListQuery>): AuditQuery => ({
  entityType: q.entity_type,
  entityId: q.entity_id,
  action: q.action,
  actor: q.actor,
  ...rangeOf(q),
  limit: q.limit,
  offset: q.offset,
});

const FILTERS =
  'filters entity_type, entity_id, action, actor (name part or token id), start_date/end_date on the entry time';

/** The audit trail: a customer's entries, every entry (admin), and the hash chain's check. */
export const registerAuditRoutes = (app: App, { ctx }: RouteDeps): void => {
  const tags = ['audit'];
  // Lists and the chain check may lag (read replica): an entry written a moment ago may be missing.
  const reads = forReads(ctx);

  app.get(
    '/api/v1/audit',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        security: BEARER,
        summary: `The customer's audit trail, newest first; ${FILTERS}. 403 for a token limited to some units`,
        querystring: AuditListQuery,
        response: { 200: Paginated(AuditEntry) },
      },
    },
    async (req) => {
      const r = await listCustomerAudit(reads, tenantOf(req), auditQueryOf(req.query));
      return toPage(r.items, r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/admin/audit',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        security: BEARER,
        summary: `Every customer's audit trail (or one customer's), newest first; ${FILTERS}`,
        querystring: AdminAuditListQuery,
        response: { 200: Paginated(AuditEntry) },
      },
    },
    async (req) => {
      const r = await listAllAudit(reads, req.query.customer_id, auditQueryOf(req.query));
      return toPage(r.items, r.total, req.query.limit, req.query.offset);
    },
  );
  app.get(
    '/api/v1/admin/audit/verify',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        security: BEARER,
        summary:
          'Walks the hash chain: ok, the entries verified, the head (seq, hash), and the first broken entry if any',
        response: { 200: AuditChainReport },
      },
    },
    async () => verifyAudit(reads),
  );
};
