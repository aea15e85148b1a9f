/** Injected time source, so tests can fix "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const fixedClock = (at: Date | string): Clock => {
  const t = new Date(at);
  return { now: () => new Date(t) };
};

/** A clock that moves only when told to: for tests of code that acts on elapsed time. */
export const manualClock = (at: Date | string): Clock & { advance(ms: number): void } => {
  let t = new Date(at).getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
};
