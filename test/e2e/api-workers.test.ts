import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor } from '../support/factories.ts';
import { randomPortBase, startTms, waitForProcessHttp } from '../support/cli.ts';
import { waitUntil } from '../support/wait.ts';

/** Pids of the cluster's workers: children running tms (tsx also runs an esbuild child). */
const childPids = (pid: number): number[] =>
  execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('tms.js'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));

// Several API processes on one port need PostgreSQL; global setup printed why it may be absent.
describe.skipIf(!inject('postgresAdminUrl'))('tms up --roles api --api-workers 2 (PostgreSQL)', () => {
  let t: TestDatabase;
  let token: string;
  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    token = (await tokenFor(t.db, 'A')).token;
  });
  afterAll(async () => t?.drop());

  it(
    'serves on one port from two processes, replaces a worker that dies, and stops them all on SIGTERM',
    { timeout: 150_000 },
    async () => {
      const port = randomPortBase();
      const tms = startTms(['up', '--roles', 'api', '--api-workers', '2'], {
        DATABASE_URL: t.url!,
        PORT: String(port),
      });
      try {
        await waitForProcessHttp(tms, `http://127.0.0.1:${port}/health`, 60_000);
        await waitUntil('the banner', () => tms.output().includes('2 API worker processes'), 30_000, 200);
        const workers = childPids(tms.child.pid!);
        expect(workers).toHaveLength(2);
        // Connections are handed to the workers in turn; every answer carries the same data.
        const bodies = await Promise.all(
          Array.from({ length: 8 }, () =>
            fetch(`http://127.0.0.1:${port}/api/v1/facilities`, {
              headers: { authorization: `Bearer ${token}` },
            }).then(async (r) => ({
              status: r.status,
              total: ((await r.json()) as { total: number }).total,
            })),
          ),
        );
        expect(bodies.every((b) => b.status === 200 && b.total === bodies[0]!.total && b.total > 0)).toBe(
          true,
        );
        process.kill(workers[0]!, 'SIGKILL');
        await waitUntil(
          'a replacement worker',
          () => {
            const now = childPids(tms.child.pid!);
            return now.length === 2 && !now.includes(workers[0]!);
          },
          30_000,
          200,
        );
        await waitForProcessHttp(tms, `http://127.0.0.1:${port}/health`, 30_000);
        expect(tms.output()).toContain('API worker died; starting another');
      } finally {
        expect(await tms.stop('SIGTERM')).toBe(0);
      }
      expect(tms.output()).toContain('Stopped.');
    },
  );
});
