/**
 * Resolves once the first SIGINT or SIGTERM has run `stop` (announced unless `quiet`). The handlers
 * are `once`: a second signal during a slow stop ends the process the default way.
 */
export const untilStopped = (stop: () => Promise<void>, quiet = false): Promise<void> =>
  new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (!quiet) console.log(`\n${signal}: stopping…`);
      void stop().finally(resolve);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
