// The controller's Prometheus metrics. One registry per controller (not prom-client's global one), so
// several controllers in one process (tests) never collide.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();

  readonly rejectedMessages = new Counter({
    name: 'autoresearch_agent_messages_rejected_total',
    help: 'Agent messages dropped before ingestion (not JSON, wrong schema, bad MAC, unexpected subject, overload), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly runsFinished = new Counter({
    name: 'autoresearch_runs_finished_total',
    help: 'Runs that ended, by status (succeeded, crashed, timeout, stopped, lost, lost (retrying)).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'autoresearch_decisions_total',
    help: 'Experiments decided, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'autoresearch_controller_' });
  }

  /** Free-text reasons become a bounded label: the part before the first colon. */
  countRejected(reason: string): void {
    this.rejectedMessages.inc({ reason: reason.split(':')[0]!.trim().slice(0, 60) || 'unknown' });
  }
}
