import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import type { Db } from '../../src/db/types.ts';
import { fixedClock, systemClock, type Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';

export const testApp = (db: Db, clock: Clock = systemClock): Promise<FastifyInstance> =>
  buildApp({ db, log: createLogger('silent', false), clock, authCacheTtlMs: 0 });

export { fixedClock };

export interface CallResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Record<string, unknown>;
  text: string;
}

/** One request through `inject()`, with a bearer token when given. */
export const call = async (
  app: FastifyInstance,
  method: string,
  url: string,
  token?: string,
  payload?: unknown,
): Promise<CallResult> => {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, headers: res.headers, text: res.body };
};
