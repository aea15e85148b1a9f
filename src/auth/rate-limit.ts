/** The state of one key's window after a request was counted (or peeked at). */
export interface WindowState {
  count: number;
  remaining: number;
  exceeded: boolean;
  /** Seconds until the window ends (at least 1). */
  retryAfterSeconds: number;
}

export interface FixedWindowOptions {
  windowMs: number;
  /**
   * Most keys held at once. Reaching it first drops the windows that have ended; only if every one
   * is still running are the least-used tenth dropped, so a key can never be reset by flooding the
   * table with new keys that each spend one request (the flood's own keys go first).
   */
  maxKeys?: number;
}

/**
 * Fixed-window request counters per key (a token id, a client address), in this process's memory.
 * Windows end by time: a key's count survives any number of other keys being counted meanwhile.
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private lastSweepMs = 0;

  constructor(opts: FixedWindowOptions) {
    this.windowMs = opts.windowMs;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Keys currently held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  /** Counts one request for `key` and says whether it went over `limit`. */
  hit(key: string, limit: number, nowMs: number): WindowState {
    this.sweepEvery(nowMs);
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.windowMs) {
      if (!w && this.windows.size >= this.maxKeys) this.makeRoom(nowMs);
      w = { startMs: nowMs, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return this.stateOf(w, limit, nowMs);
  }

  /** The window of `key` without counting a request. */
  peek(key: string, limit: number, nowMs: number): WindowState {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.windowMs)
      return this.stateOf({ startMs: nowMs, count: 0 }, limit, nowMs);
    return this.stateOf(w, limit, nowMs);
  }

  private stateOf(w: { startMs: number; count: number }, limit: number, nowMs: number): WindowState {
    return {
      count: w.count,
      remaining: Math.max(0, limit - w.count),
      exceeded: w.count > limit,
      retryAfterSeconds: Math.max(1, Math.ceil((w.startMs + this.windowMs - nowMs) / 1000)),
    };
  }

  /** Ended windows are dropped once per window length, so idle keys do not accumulate. */
  private sweepEvery(nowMs: number): void {
    if (nowMs - this.lastSweepMs < this.windowMs) return;
    this.lastSweepMs = nowMs;
    this.dropEnded(nowMs);
  }

  private dropEnded(nowMs: number): void {
    for (const [key, w] of this.windows) if (nowMs - w.startMs >= this.windowMs) this.windows.delete(key);
  }

  private makeRoom(nowMs: number): void {
    this.dropEnded(nowMs);
    if (this.windows.size < this.maxKeys) return;
    const byCount = [...this.windows].sort((a, b) => a[1].count - b[1].count);
    for (const [key] of byCount.slice(0, Math.max(1, Math.ceil(this.maxKeys / 10)))) this.windows.delete(key);
  }
}

export interface AcquireOptions {
  /** Callers that may wait for a slot per key; beyond, `acquire` answers undefined at once. */
  maxQueue: number;
  /** Longest wait for a slot; then undefined. */
  maxWaitMs: number;
  /** Aborting gives up the wait (the caller went away). */
  signal?: AbortSignal;
}

type Waiter = (release: (() => void) | undefined) => void;

/**
 * At most `limit` operations in flight per key; a few more may wait in line (FIFO) for a moment, so
 * a page that fires several requests at once is served in turn instead of refused. Keys are deleted
 * when nothing runs or waits, so the tables hold only keys with work in progress.
 */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(readonly limit: number) {}

  /** A release function (safe to call more than once), or undefined when no slot came in time. */
  acquire(key: string, opts: AcquireOptions): Promise<(() => void) | undefined> {
    const n = this.running.get(key) ?? 0;
    if (n < this.limit) {
      this.running.set(key, n + 1);
      return Promise.resolve(this.releaser(key));
    }
    const line = this.waiting.get(key) ?? [];
    if (line.length >= opts.maxQueue || opts.signal?.aborted) return Promise.resolve(undefined);
    this.waiting.set(key, line);
    return new Promise((resolve) => {
      const giveUp = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', giveUp);
        const i = line.indexOf(waiter);
        if (i >= 0) line.splice(i, 1);
        if (line.length === 0 && this.waiting.get(key) === line) this.waiting.delete(key);
        resolve(undefined);
      };
      const waiter: Waiter = (release) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', giveUp);
        resolve(release);
      };
      const timer = setTimeout(giveUp, opts.maxWaitMs);
      opts.signal?.addEventListener('abort', giveUp, { once: true });
      line.push(waiter);
    });
  }

  /** Operations in flight for `key`. */
  inFlight(key: string): number {
    return this.running.get(key) ?? 0;
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const line = this.waiting.get(key);
      const next = line?.shift();
      if (line && line.length === 0) this.waiting.delete(key);
      // The slot passes straight to the next in line: the running count stays the same.
      if (next) return next(this.releaser(key));
      const left = (this.running.get(key) ?? 1) - 1;
      if (left <= 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }
}
