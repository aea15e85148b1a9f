import { setTimeout as sleep } from 'node:timers/promises';
/** Polls `cond` until it holds; throws naming `what` once `timeoutMs` has passed. */
export const waitUntil = async (
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  pollMs = 20,
): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
};
