import { Type } from 'typebox';
import {
  createCustomerToken,
  getOwnProfile,
  listCustomerTokens,
  revokeCustomerToken,
  updateOwnProfile,
} from '../../fleet/customers.ts';
import { withFeed } from '../../fleet/feed.ts';
import { parseInstant } from '../../readings/time.ts';
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
      schema: {
        tags,
        security: BEARER,
        summary:
          "The caller's customer; for a token limited to some units, counts cover those units and api_url is null",
        response: { 200: CustomerDetail },
      },
    },
    async (req) => withFeed(ctx, await getOwnProfile(ctx, customerOf(req))),
  );
  app.put(
    '/api/v1/customers/profile',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary:
          'Rename or change the time zone (its current value again: 409; at most once per 10 minutes: 429 with Retry-After); other fields are admin-only; tokens limited to some units: 403',
        body: ProfileUpdate,
        response: { 200: CustomerProfile },
      },
    },
    async (req) => updateOwnProfile(ctx, customerOf(req), req.body),
  );
  app.get(
    '/api/v1/customers/tokens',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        security: BEARER,
        summary: 'Active tokens (never the token or its hash); tokens limited to some units: 403',
        response: { 200: Type.Array(Token) },
      },
    },
    async (req) => listCustomerTokens(ctx, customerOf(req)),
  );
  app.post(
    '/api/v1/customers/tokens',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        security: BEARER,
        summary:
          "Create a token (read/write), shown once. Its expires_at and rate_limit_per_hour may not exceed the calling token's (422, never clamped; omitted: the caller's); revoking the caller revokes it; at most 100 active tokens per customer (409); tokens limited to some units: 403",
        body: TokenCreate,
        response: { 201: IssuedToken },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const issued = await createCustomerToken(ctx, customerOf(req), {
        ...b,
        expires_at: parseInstant(b.expires_at ?? undefined, 'expires_at'),
      });
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
        summary:
          'Revoke a token and every token created from it; returns its record; tokens limited to some units: 403',
        params: IdParams('token_id'),
        response: { 200: Token },
      },
    },
    async (req) => {
      const { token, revokedIds } = await revokeCustomerToken(ctx, customerOf(req), req.params.token_id);
      for (const id of revokedIds) forgetToken(id);
      return token;
    },
  );
};
