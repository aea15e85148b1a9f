import { createServer } from 'node:net';
import type { Config } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import { loadFleet } from '../simulation/fleet.ts';

interface WantedPort {
  host: string;
  port: number;
  what: string;
  setting: string;
}

/** Resolves with the error code when `host:port` cannot be bound now, else undefined (the probe is closed again). */
const probe = (host: string, port: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });

/** The ports `tms up` will listen on: the API's, and one per fleet customer for the simulator. */
export const portsOf = async (config: Config): Promise<WantedPort[]> => {
  const wanted: WantedPort[] = [];
  if (config.roles.includes('api'))
    wanted.push({ host: config.host, port: config.port, what: 'the API', setting: 'PORT' });
  if (config.roles.includes('simulator')) {
    const fleet = await loadFleet(config.fleetFile);
    fleet.customers.forEach((c, i) =>
      wanted.push({
        host: config.simHost,
        port: config.simPortStart + i,
        what: `mock customer ${c.code}`,
        setting: 'SIM_PORT_START',
      }),
    );
  }
  return wanted;
};

/**
 * Refuses to start before anything is written when a port `tms up` needs is taken (typically a
 * second `tms up` with another data directory): otherwise it would seed a store and write
 * tokens.json, then fail on the port. A port freed between this check and the listen is harmless.
 */
export const assertPortsFree = async (config: Config): Promise<void> => {
  for (const w of await portsOf(config)) {
    const code = await probe(w.host, w.port);
    if (code === undefined) continue;
    throw new AppError(
      'CONFIG',
      code === 'EADDRINUSE'
        ? `Port ${w.port} on ${w.host} (${w.what}) is already in use: is another tms running? Set ${w.setting} to use other ports. Nothing was started or written.`
        : `Cannot listen on ${w.host}:${w.port} (${w.what}): ${code}. Nothing was started or written.`,
    );
  }
};
