import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getSession, getUnit, onSessionChange, type Session } from './session.ts';
import type { TempUnit } from './types.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when a dependency changes and keeps the last result. A newer call wins: answers of
 * an older call (a changed filter while the first request ran) are dropped.
 */
export const useApi = <T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> => {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const id = ++seq.current;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => id === seq.current && setState({ data, loading: false }),
      (error: Error) => {
        if (error.name === 'AbortError' || id !== seq.current) return;
        setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
};

export const useSession = (): Session | null => {
  const [s, set] = useState(getSession);
  useEffect(() => onSessionChange(() => set(getSession())), []);
  return s;
};

export const useUnit = (): TempUnit => {
  const [u, set] = useState(getUnit);
  useEffect(() => onSessionChange(() => set(getUnit())), []);
  return u;
};

/** Re-renders every `ms` (relative times such as "3 min ago"). */
export const useTicker = (ms: number): number => {
  const [now, set] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => set(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
};

export const useTitle = (title: string): void => {
  useEffect(() => {
    document.title = `${title} · tms`;
  }, [title]);
};
