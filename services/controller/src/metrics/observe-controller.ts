// Feeds the metrics from a running controller: the scheduler's events for counters and histograms, the
// executor and the database for the gauges read at scrape time.
import type { Logger } from 'pino';
import type { Executor } from '../executors/executor.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import type { ControllerMetrics } from './controller-metrics.js';

/** Far more than can run at once on one controller. */
const MAX_TIMED_RUNS = 10_000;

export interface ObservedController {
  scheduler: Scheduler;
  executor: Executor;
  store: Store;
  log: Logger;
}

export function observeController(metrics: ControllerMetrics, { scheduler, executor, store, log }: ObservedController): void {
  metrics.readFrom({
    capacity: () => {
      if (executor.placement === 'pool') return executor.capacity();
      return { total: executor.slots().length, busy: scheduler.activeRunCount() };
    },
    runsPerTeam: () => store.countRunsPerTeam(),
    studiesByStatus: () => store.countStudiesByStatus(),
    onError: (error) => log.warn({ err: error }, 'a metrics gauge could not read the database; it is left out of this scrape'),
  });

  // When each run began here, for how long it held its slot. A run launched by another replica (a pool
  // shared by several) is not timed here; one launched here may end there, so the oldest are let go.
  const launchedAt = new Map<string, number>();
  scheduler.on('run.started', ({ run }) => {
    metrics.runsStarted.inc();
    launchedAt.set(run.id, Date.now());
    if (launchedAt.size > MAX_TIMED_RUNS) launchedAt.delete(launchedAt.keys().next().value!);
  });
  scheduler.on('run.finished', ({ runId, status, finishedAt }) => {
    metrics.runsFinished.inc({ status });
    const began = launchedAt.get(runId);
    launchedAt.delete(runId);
    if (began !== undefined) metrics.runDuration.observe({ status }, (Date.now() - began) / 1000);
    // Only an agent's result carries its finishedAt; an end the controller found itself (lost, OOM) has none.
    if (finishedAt !== undefined) metrics.ingestLag.observe(Math.max(0, Date.now() - finishedAt) / 1000);
  });
  scheduler.on('experiment.decided', ({ decision }) => metrics.decisions.inc({ outcome: decision.outcome }));
  // Usage is recorded once, on the experiment its proposal became (re-asks of invalid ones included).
  scheduler.on('experiment.created', ({ experiment }) => {
    const usage = experiment.modelUsage;
    if (!usage) return;
    const model = usage.model;
    metrics.modelCalls.inc({ model }, usage.calls);
    metrics.modelCost.inc({ model }, usage.costUsd);
    metrics.modelTokens.inc({ model, kind: 'input' }, usage.inputTokens);
    metrics.modelTokens.inc({ model, kind: 'output' }, usage.outputTokens);
    metrics.modelTokens.inc({ model, kind: 'cache_write' }, usage.cacheCreationTokens);
    metrics.modelTokens.inc({ model, kind: 'cache_read' }, usage.cacheReadTokens);
  });
}
