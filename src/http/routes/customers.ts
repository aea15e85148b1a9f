import { Type } from 'typebox';
import {
  createCustomerToken,
  getCustomerDetail,
  listCustomerTokens,
  revokeCustomerToken,
  updateOwnProfile,
} from '../../fleet/customers.ts';
import { checkTimeZone, parseInstant } from '../../readings/time.ts';
import { customerOf } from '../plugins/auth.ts';
import { IdParams } from '../schemas/common.ts';
import {
  CustomerDetail,
  CustomerProfile,
  IssuedToken,
  ProfileUpdate,
  Token,
  TokenCreate,
} from '../schemas/resources.ts';
import { BEARER, type App, type RouteDeps } from './deps.ts';

/** Customer self-service: profile and tokens. */
export const registerCustomerRoutes = (app: App, { ctx, forgetToken }: RouteDeps): void => {
  const tags = ['customer'];
  app.get(
    '/api/v1/customers/profile',
    {
      config: { scope: 'read' },
      schema: { tags, security: BEARER, summary: "The caller's customer", response: { 200: CustomerDetail } },
    },
    async (req) => getCustomerDetail(ctx, customerOf(req).customerId),
  );
  app.put(
    '/api/v1/customers/profile',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Rename (or set the time zone); other fields are admin-only (403)',
        body: ProfileUpdate,
        response: { 200: CustomerProfile },
      },
    },
    async (req) => {
      if (req.body.timezone) checkTimeZone(req.body.timezone);
      return updateOwnProfile(ctx, customerOf(req).customerId, req.body);
    },
  );
  app.get(
    '/api/v1/customers/tokens',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Active tokens (never the token or its hash)',
        response: { 200: Type.Array(Token) },
      },
    },
    async (req) => listCustomerTokens(ctx, customerOf(req).customerCode),
  );
  app.post(
    '/api/v1/customers/tokens',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Create a token (read/write); the response shows it once',
        body: TokenCreate,
        response: { 201: IssuedToken },
      },
    },
    async (req, reply) => {
      const p = customerOf(req);
      const b = req.body;
      const issued = await createCustomerToken(
        ctx,
        { id: p.customerId, code: p.customerCode, callerUnits: p.accessibleUnits },
        { ...b, expires_at: parseInstant(b.expires_at ?? undefined, 'expires_at') },
      );
      return reply.status(201).send(issued);
    },
  );
  app.delete(
    '/api/v1/customers/tokens/:token_id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Revoke a token; returns its record',
        params: IdParams('token_id'),
        response: { 200: Token },
      },
    },
    async (req) => {
      const revoked = await revokeCustomerToken(ctx, customerOf(req).customerId, req.params.token_id);
      forgetToken(revoked.id);
      return revoked;
    },
  );
};
