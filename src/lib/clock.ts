/** Injected time source, so tests can fix "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const fixedClock = (at: Date | string): Clock => {
  const t = new Date(at);
  return { now: () => new Date(t) };
};
