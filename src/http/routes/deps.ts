import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { FeatureContext } from '../../readings/context.ts';
import { parseInstant } from '../../readings/time.ts';
import { customerOf } from '../plugins/auth.ts';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What route modules get: the feature context and a few HTTP-side settings. */
export interface RouteDeps {
  ctx: FeatureContext;
  futureToleranceSeconds: number;
  forgetToken(id: string): void;
  /** Heavy streams call this between chunks so cheap requests go first (plugins/heavy-requests.ts). */
  yieldToLight(): Promise<void>;
}

export const BEARER = [{ bearerAuth: [] }];

/** The caller's customer and unit restriction, as every customer-scoped verb takes it. */
export const tenantOf = (req: FastifyRequest) => {
  const p = customerOf(req);
  return { customerId: p.customerId, unitIds: p.accessibleUnits };
};

export const rangeOf = (q: { start_date?: string | null; end_date?: string | null }) => ({
  start: parseInstant(q.start_date ?? undefined, 'start_date'),
  end: parseInstant(q.end_date ?? undefined, 'end_date'),
});
