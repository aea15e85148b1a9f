import type { RoleContext, RoleHandle } from './types.ts';

/** Starts one mock customer HTTP server per fleet customer (filled in by the simulation feature). */
export const startSimulator = async (_ctx: RoleContext): Promise<RoleHandle> => ({
  role: 'simulator',
  banner: ['simulator: not implemented yet'],
  stop: async () => undefined,
});
