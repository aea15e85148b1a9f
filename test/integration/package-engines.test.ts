import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

// Issue 10 item 10: the engines statement is true for every installed package, so `npm ci` on the
// oldest Node the project claims prints no EBADENGINE warning (cookie@2 and content-disposition@3
// want Node 22: package.json overrides pin their Node 18 releases, which fastify's code paths use).
describe('package.json engines', () => {
  it('the oldest Node the project claims satisfies every locked package', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const lock = JSON.parse(await readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockPackage>;
    };
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    expect(semver.major(oldest)).toBe(20); // README: Node.js 20 is enough
    const refusing = Object.entries(lock.packages)
      .map(([where, p]) => ({ where, node: Array.isArray(p.engines) ? undefined : p.engines?.node }))
      .filter((p) => p.node !== undefined && !semver.satisfies(oldest, p.node))
      .map((p) => `${p.where} wants node ${p.node}`);
    expect(refusing).toEqual([]);
  });
});
