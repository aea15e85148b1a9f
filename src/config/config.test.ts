import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('defaults to the embedded store, in-process queue and all roles', () => {
    const c = parseConfig({}, '/srv/tms');
    expect(c).toMatchObject({
      databaseUrl: undefined,
      rabbitmqUrl: undefined,
      dataDir: '/srv/tms/data',
      host: '127.0.0.1',
      port: 8000,
      simPortStart: 8001,
      roles: ['simulator', 'ingest', 'api'],
      logLevel: 'info',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('accepts PostgreSQL and RabbitMQ URLs and a role list', () => {
    const c = parseConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/tms',
      RABBITMQ_URL: 'amqp://guest:guest@mq:5672/%2f',
      TMS_ROLES: 'ingest, api',
      PORT: '9000',
    });
    expect(c.databaseUrl).toBe('postgres://u:p@db:5432/tms');
    expect(c.databaseReadUrl).toBeUndefined();
    expect(c.roles).toEqual(['ingest', 'api']);
    expect(c.port).toBe(9000);
  });

  it('takes a read replica URL beside DATABASE_URL', () => {
    const c = parseConfig({
      DATABASE_URL: 'postgres://u@primary:5432/tms',
      DATABASE_READ_URL: 'postgresql://u@replica:5433/tms',
    });
    expect(c.databaseReadUrl).toBe('postgresql://u@replica:5433/tms');
  });

  it.each([
    [{ DATABASE_READ_URL: 'postgres://u@replica/tms' }, /^Invalid DATABASE_READ_URL: needs DATABASE_URL/],
    [
      { DATABASE_URL: 'postgres://u@db/tms', DATABASE_READ_URL: 'mysql://x/y' },
      /^Invalid DATABASE_READ_URL: protocol 'mysql:'/,
    ],
    [{ DATABASE_URL: 'not a url' }, /^Invalid DATABASE_URL: not a URL/],
    [{ DATABASE_URL: 'mysql://x/y' }, /^Invalid DATABASE_URL: protocol 'mysql:'/],
    [{ RABBITMQ_URL: 'http://mq' }, /^Invalid RABBITMQ_URL/],
    [{ PORT: '70000' }, /^Invalid PORT/],
    [{ SIM_PORT_START: '-1' }, /^Invalid SIM_PORT_START/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL/],
    [{ TMS_ROLES: 'api,dashboard' }, /^Invalid TMS_ROLES: unknown role 'dashboard'/],
    [{ TMS_FUTURE_TOLERANCE_SECONDS: '1.5' }, /^Invalid TMS_FUTURE_TOLERANCE_SECONDS/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(message);
  });
});
