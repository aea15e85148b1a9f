import { buildApp } from '../http/app.ts';
import { AppError } from '../lib/errors.ts';
import type { RoleContext, RoleHandle } from './types.ts';

/** Serves the REST API (and later the dashboard) on HOST:PORT. */
export const startApi = async (ctx: RoleContext): Promise<RoleHandle> => {
  const app = await buildApp({
    db: ctx.db,
    log: ctx.log,
    clock: ctx.clock,
    futureToleranceSeconds: ctx.config.futureToleranceSeconds,
  });
  try {
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      'CONFIG',
      code === 'EADDRINUSE'
        ? `Port ${ctx.config.port} on ${ctx.config.host} is already in use (set PORT to another port)`
        : `Cannot listen on ${ctx.config.host}:${ctx.config.port} (${code ?? (e as Error).message})`,
    );
  }
  const base = `http://${ctx.config.host}:${ctx.config.port}`;
  return {
    role: 'api',
    banner: [`api:       ${base}  (health ${base}/health, docs ${base}/docs)`],
    stop: () => app.close(),
  };
};
