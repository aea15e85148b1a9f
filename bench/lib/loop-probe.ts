import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

// Preloaded into a tms process that has no HTTP endpoint (the ingest role on its own) by
// `node --import tsx --import bench/lib/loop-probe.ts bin/tms.js …` (bench/soak.ts). On SIGUSR2 it
// writes the event-loop delay since the previous signal to TMS_LOOP_PROBE_FILE and starts afresh:
// the same measurement (perf_hooks, 10 ms resolution) that prom-client exports at /metrics as
// tms_nodejs_eventloop_lag_p99_seconds.

const file = process.env.TMS_LOOP_PROBE_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => ns / 1e6;
    const figures = { at: Date.now(), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), meanMs: ms(h.mean) };
    h.reset();
    writeFileSync(file, JSON.stringify(figures));
  });
}
