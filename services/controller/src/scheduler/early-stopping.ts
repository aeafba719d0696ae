// Early stopping while runs go: each progress message of a candidate's run is held against the curves of
// its branch head's runs (decisions/median-stopping.ts), and a run that cannot beat the head is told to
// stop, with the evidence, so its slot goes to the next experiment. The other runs of that experiment are
// stopped too: its outcome is settled. Runs so stopped end `stopped` with a reason starting
// `early-stopped`, which makes them final (not lost and retried) and their experiment `early-stopped`.
import type { Logger } from 'pino';
import type { ProgressMessage } from '../../../../schemas/src/messages.js';
import type { Direction, EarlyStoppingSpec } from '../../../../schemas/src/study-spec.js';
import { medianStoppingRule, type CurvePoint } from '../decisions/median-stopping.js';
import { runLogger } from '../log-context.js';
import type { RunRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ControllerTransport } from '../transport/controller-transport.js';

export const EARLY_STOPPED = 'early-stopped';

/** A run stopped by the rule (or with a sibling that was): final, not a run cut off to be retried. */
export function isEarlyStopped(run: { status: string; reason?: string | null }): boolean {
  return run.status === 'stopped' && (run.reason ?? '').startsWith(EARLY_STOPPED);
}

interface Watched {
  studyId: string;
  experimentId: string;
  experimentNumber: number;
  rule: EarlyStoppingSpec;
  metric: string;
  direction: Direction;
  references: CurvePoint[][];
  curve: CurvePoint[];
  /** Told to stop: progress messages still in flight change nothing. */
  stopping: boolean;
}

export class EarlyStopper {
  /** Per run attempt: what it is compared with, or null when early stopping does not apply to it. */
  private readonly watched = new Map<string, Promise<Watched | null>>();
  private readonly references = new Map<string, Promise<CurvePoint[][]>>();

  constructor(
    private readonly store: Store,
    private readonly transport: ControllerTransport,
    private readonly log: Logger,
  ) {}

  async consider(message: ProgressMessage): Promise<void> {
    const key = `${message.runId}#${message.attempt}`;
    let entry = this.watched.get(key);
    if (!entry) {
      entry = this.watch(message.runId, message.attempt);
      this.watched.set(key, entry);
    }
    const watched = await entry;
    if (!watched || watched.stopping) return;
    for (const point of message.points) {
      if (point.name === watched.metric) watched.curve.push({ step: point.step ?? watched.curve.length + 1, value: point.value });
    }
    const verdict = medianStoppingRule({
      direction: watched.direction,
      candidate: watched.curve,
      references: watched.references,
      minProgress: watched.rule.minProgress,
      margin: watched.rule.margin,
    });
    if (!verdict.stop) return;
    watched.stopping = true; // told once
    await this.stopExperiment(message, watched, verdict.summary, { step: verdict.step, runningMean: verdict.runningMean, median: verdict.median, references: verdict.references });
  }

  /** Forgets a run that has ended. */
  forget(runId: string, attempt: number): void {
    this.watched.delete(`${runId}#${attempt}`);
  }

  private async stopExperiment(message: ProgressMessage, watched: Watched, summary: string, evidence: Record<string, number>): Promise<void> {
    const { store, transport } = this;
    const reason = `${EARLY_STOPPED}: ${watched.metric} ${summary}`;
    runLogger(this.log, { id: message.runId, studyId: watched.studyId, experimentId: watched.experimentId, attempt: message.attempt })
      .info({ experimentNumber: watched.experimentNumber }, reason);
    await store.appendEvent(watched.studyId, 'run.early-stopped', { runId: message.runId, attempt: message.attempt, number: watched.experimentNumber, reason, ...evidence });
    await transport.sendControl({ type: 'control', runId: message.runId, attempt: message.attempt, action: 'early-stop', reason: `${watched.metric} ${summary}` });
    // The experiment's outcome is settled: its other runs would only spend their slots.
    const sibling = `${EARLY_STOPPED}: another run of experiment #${watched.experimentNumber} was (${watched.metric} ${summary})`;
    await store.cancelQueuedRuns(watched.experimentId, sibling);
    for (const run of await store.listRuns(watched.experimentId)) {
      if (run.status !== 'running' || run.id === message.runId) continue;
      this.watched.set(`${run.id}#${run.attempt}`, Promise.resolve(null));
      await transport.sendControl({ type: 'control', runId: run.id, attempt: run.attempt, action: 'early-stop', reason: sibling.slice(EARLY_STOPPED.length + 2) });
    }
  }

  /** What a run is compared with: the curves of its branch head's runs, unless early stopping does not apply. */
  private async watch(runId: string, attempt: number): Promise<Watched | null> {
    const { store } = this;
    let run: RunRow | undefined;
    try {
      run = await store.getRun(runId);
      if (!run || run.attempt !== attempt || run.role !== 'working') return null;
      const study = await store.getStudy(run.studyId);
      const rule = study?.spec.earlyStopping;
      if (!study || !rule || study.spec.flavor !== 'training') return null;
      const experiment = await store.getExperiment(run.experimentId);
      // The baseline and the head's re-measurements are what candidates are held against, not candidates.
      if (!experiment || experiment.kind !== 'candidate') return null;
      const branch = await store.getBranch(experiment.branchId);
      const head = branch?.headExperimentId;
      if (!head || head === experiment.id) return null;
      const metric = rule.metric ?? study.spec.objective.metric;
      // With stages, a run is held against the head's runs at its own stage: same budget, same curve length.
      const key = `${head}:${metric}:${run.stage}`;
      let references = this.references.get(key);
      if (!references) {
        references = this.curvesOf(head, metric, run.stage);
        this.references.set(key, references);
      }
      return {
        studyId: study.id, experimentId: experiment.id, experimentNumber: experiment.number, rule, metric,
        direction: study.spec.objective.direction, references: await references, curve: [], stopping: false,
      };
    } catch (error) {
      (run ? runLogger(this.log, run) : this.log.child({ runId })).warn({ err: error }, 'early stopping could not look at this run; it runs to the end');
      return null;
    }
  }

  private async curvesOf(experimentId: string, metric: string, stage: number): Promise<CurvePoint[][]> {
    const curves: CurvePoint[][] = [];
    for (const run of await this.store.listRuns(experimentId)) {
      if (run.status !== 'succeeded' || run.role !== 'working' || run.stage !== stage) continue;
      const points = (await this.store.getMetrics(run.id, { kind: 'intermediate' })).filter((p) => p.name === metric && p.attempt === run.attempt);
      if (points.length > 0) curves.push(points.map((p, i) => ({ step: p.step ?? i + 1, value: p.value })));
    }
    return curves;
  }
}
