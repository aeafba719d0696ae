// The controller's Prometheus metrics. One registry per controller (not prom-client's global one), so
// several controllers in one process (tests) never collide. Counters and histograms are fed by the
// scheduler's events (observe-controller.ts) and the API (api/request-metrics.ts); the gauges are read
// when scraped, from the executor and the database, so they are never stale.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TeamQueue } from '../store/queries/queue-depth.js';

/** What the scrape-time gauges read; absent in an API without a running controller (tests, `status`). */
export interface GaugeSources {
  /** Slots here (or the pool's GPUs) and how many hold a run right now. */
  capacity(): { total: number; busy: number };
  runsPerTeam(): Promise<TeamQueue[]>;
  studiesByStatus(): Promise<{ status: string; studies: number }[]>;
  /** A failed read leaves its gauges empty for that scrape instead of failing /metrics. */
  onError(error: unknown): void;
}

/** Seconds: from a few milliseconds (a result ingested at once) to minutes (the database or NATS away). */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds: runs last from a fraction of a second (tests, skill runs) to hours (training). */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200, 14400];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ControllerMetrics {
  readonly registry = new Registry();
  private sources: GaugeSources | null = null;
  /** One database read per scrape, shared by the gauges that need it. */
  private teamRead: { at: number; rows: Promise<TeamQueue[] | null> } | null = null;

  readonly rejectedMessages = new Counter({
    name: 'autoresearch_agent_messages_rejected_total',
    help: 'Agent messages dropped before ingestion (not JSON, wrong schema, bad MAC, unexpected subject, overload), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly runsStarted = new Counter({
    name: 'autoresearch_runs_started_total',
    help: 'Runs handed to an agent by this controller (each attempt counts).',
    registers: [this.registry],
  });

  readonly runsFinished = new Counter({
    name: 'autoresearch_runs_finished_total',
    help: 'Runs that ended, by status (succeeded, crashed, timeout, stopped, lost, lost (retrying)).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly runDuration = new Histogram({
    name: 'autoresearch_run_duration_seconds',
    help: 'How long a slot was held by a run this controller started, from launch to its end, by status.',
    labelNames: ['status'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });

  readonly ingestLag = new Histogram({
    name: 'autoresearch_result_ingest_lag_seconds',
    help: "From a run's end (the agent's finishedAt) to its result committed in the database.",
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'autoresearch_decisions_total',
    help: 'Experiments decided, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly modelTokens = new Counter({
    name: 'autoresearch_model_tokens_total',
    help: "Tokens the mutator's model used for proposals, by model and kind (input, output, cache_write, cache_read).",
    labelNames: ['model', 'kind'] as const,
    registers: [this.registry],
  });

  readonly modelCost = new Counter({
    name: 'autoresearch_model_cost_usd_total',
    help: "What the mutator's model calls cost, in US dollars at the study's pricing, by model.",
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly modelCalls = new Counter({
    name: 'autoresearch_model_calls_total',
    help: "Calls to the mutator's model (re-asks of invalid proposals included), by model.",
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'autoresearch_http_request_duration_seconds',
    help: 'API latency, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'autoresearch_controller_' });
    const metrics = this;
    new Gauge({
      name: 'autoresearch_slots',
      help: 'Slots on this controller (or GPUs in the cluster pool).',
      registers: [this.registry],
      collect() {
        const capacity = metrics.sources?.capacity();
        if (capacity) this.set(capacity.total);
      },
    });
    new Gauge({
      name: 'autoresearch_slots_busy',
      help: 'Slots (or pool GPUs) holding a run right now.',
      registers: [this.registry],
      collect() {
        const capacity = metrics.sources?.capacity();
        if (capacity) this.set(capacity.busy);
      },
    });
    new Gauge({
      name: 'autoresearch_slot_utilization',
      help: 'Busy slots over slots, 0 to 1, right now; rate(autoresearch_run_duration_seconds_sum) / autoresearch_slots is the average.',
      registers: [this.registry],
      collect() {
        const capacity = metrics.sources?.capacity();
        if (capacity) this.set(capacity.total > 0 ? capacity.busy / capacity.total : 0);
      },
    });
    new Gauge({
      name: 'autoresearch_queue_depth',
      help: "Queued runs of each team's active studies, waiting for a slot.",
      labelNames: ['team'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of (await metrics.readTeams()) ?? []) this.set({ team: row.team }, row.queued);
      },
    });
    new Gauge({
      name: 'autoresearch_runs_running',
      help: "Running runs of each team's studies, on every controller sharing the database.",
      labelNames: ['team'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of (await metrics.readTeams()) ?? []) this.set({ team: row.team }, row.running);
      },
    });
    new Gauge({
      name: 'autoresearch_studies',
      help: 'Studies in the database, by status.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await metrics.sources?.studiesByStatus().catch((error: unknown) => metrics.sources?.onError(error));
        for (const row of rows ?? []) this.set({ status: row.status }, row.studies);
      },
    });
  }

  /** Connects the scrape-time gauges to a running controller. */
  readFrom(sources: GaugeSources): void {
    this.sources = sources;
  }

  /** Free-text reasons become a bounded label: the part before the first colon. */
  countRejected(reason: string): void {
    this.rejectedMessages.inc({ reason: reason.split(':')[0]!.trim().slice(0, 60) || 'unknown' });
  }

  private readTeams(): Promise<TeamQueue[] | null> {
    const { sources } = this;
    if (!sources) return Promise.resolve(null);
    // The gauges of one scrape are collected together; a read a moment old is that scrape's.
    if (this.teamRead === null || Date.now() - this.teamRead.at > 500) {
      const rows = sources.runsPerTeam().catch((error: unknown) => {
        sources.onError(error);
        return null;
      });
      this.teamRead = { at: Date.now(), rows };
    }
    return this.teamRead.rows;
  }
}
