import { Type } from 'typebox';
import { BEARER, type App } from './deps.ts';

const TokenInfo = Type.Object({
  kind: Type.Union([Type.Literal('admin'), Type.Literal('customer')]),
  token_id: Type.String(),
  customer_code: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Array(Type.String()),
  accessible_units: Type.Array(Type.String(), { description: 'Empty: every unit of the customer' }),
});

/**
 * `GET /api/v1/auth/token`: what the calling token is. Any valid token may ask, so a client (the
 * dashboard at sign-in) learns its role and scopes without probing an endpoint that refuses it.
 */
export const registerTokenInfoRoutes = (app: App): void => {
  app.get(
    '/api/v1/auth/token',
    {
      config: { scope: 'token' },
      schema: {
        tags: ['customer'],
        security: BEARER,
        summary: "The calling token's kind (admin or customer), customer, scopes and unit limits",
        response: { 200: TokenInfo },
      },
    },
    async (req) => {
      const p = req.principal!;
      return {
        kind: p.kind,
        token_id: p.tokenId,
        customer_code: p.customerCode,
        permissions: p.scopes,
        accessible_units: p.accessibleUnits,
      };
    },
  );
};
