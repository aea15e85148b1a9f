import { loadFleet } from '../simulation/fleet.ts';
import { describeFleetUrls, startMockFleet } from '../simulation/mock-server.ts';
import type { RoleContext, RoleHandle } from './types.ts';

/** Starts one mock customer HTTP server per fleet customer (ports from SIM_PORT_START, in fleet order). Needs no db. */
export const startSimulator = async (
  ctx: Pick<RoleContext, 'config' | 'log' | 'clock'>,
): Promise<RoleHandle> => {
  const { config } = ctx;
  const log = ctx.log;
  const fleet = await loadFleet(config.fleetFile);
  const handle = await startMockFleet({
    fleet,
    seed: config.simSeed,
    host: config.simHost,
    portStart: config.simPortStart,
    clock: ctx.clock,
    log,
  });
  log.info({ customers: handle.servers.length, portStart: config.simPortStart }, 'mock customers listening');
  return {
    role: 'simulator',
    banner: [
      `simulator: ${handle.servers.length} mock customers on ${describeFleetUrls(handle, config.simHost)}`,
    ],
    stop: () => handle.close(),
  };
};
