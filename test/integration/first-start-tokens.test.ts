import { afterEach, beforeEach, expect, it } from 'vitest';
import { bootstrapTokens, type BootstrapTokens } from '../../src/auth/tokens.ts';
import { countTokens } from '../../src/db/tokens-repo.ts';
import { call, testApp } from '../support/api.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet } from '../support/factories.ts';

// The first-start tokens' plaintext exists only until tokens.json is written: minting must not
// outlive a failure to keep them, and must happen once however many processes start together.
describeEachBackend('first-start tokens', ({ create }) => {
  let t: TestDatabase;

  beforeEach(async () => {
    t = await create();
    await seedDefaultFleet(t.db);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('mints nothing when the tokens cannot be kept, so the next start mints and keeps them', async () => {
    const diskFull = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    await expect(bootstrapTokens(t.db, diskFull)).rejects.toThrow(/ENOSPC/);
    expect(await countTokens(t.db)).toBe(0);

    let kept: BootstrapTokens | undefined;
    const minted = await bootstrapTokens(t.db, async (tokens) => {
      kept = tokens;
    });
    expect(minted).toBeDefined();
    expect(kept).toBe(minted);
    expect(Object.keys(kept!.customers)).toHaveLength(10);
    expect(await countTokens(t.db)).toBe(11);
    const app = await testApp(t.db);
    try {
      expect((await call(app, 'GET', '/api/v1/admin/config', kept!.admin.token)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('mints once: a later start, or one racing it, neither mints nor calls keep', async () => {
    const keeps: BootstrapTokens[] = [];
    const keep = async (tokens: BootstrapTokens) => void keeps.push(tokens);
    const results = await Promise.all([bootstrapTokens(t.db, keep), bootstrapTokens(t.db, keep)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await bootstrapTokens(t.db, keep)).toBeUndefined();
    expect(keeps).toHaveLength(1);
    expect(await countTokens(t.db)).toBe(11);
  });
});
