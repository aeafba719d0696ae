// The loop that keeps the slots busy: decide finished experiments (in number order), check the stop
// conditions, create experiments while slots are free, and hand queued runs to the executor.
// Postgres is the truth: a message or a finished agent only nudges a loop that also polls.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AgentMessage, ControlMessage } from '../../../../schemas/src/messages.js';
import type { StopConditionsSpec } from '../../../../schemas/src/study-spec.js';
import { runLogger, type RunIdentity } from '../log-context.js';
import { evaluateStopConditions, mayStartAnotherExperiment } from '../decisions/stop-conditions.js';
import type { AgentGone, Executor, RunVerdict, Slot } from '../executors/executor.js';
import { ConflictError, ExperimentCapError } from '../errors.js';
import { ModelUnavailableError } from '../mutators/llm/model-client.js';
import { mutatorForSpec, type MutatorDeps } from '../mutators/mutator-for-spec.js';
import type { Mutator } from '../mutators/mutator.js';
import type { BranchRow, ExperimentRow, RunRow, StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ControllerTransport } from '../transport/controller-transport.js';
import { createNextExperiment } from './create-experiment.js';
import { recordAgentMessage } from './record-agent-message.js';
import { RunLogs } from './run-logs.js';
import { reapplyProposalsMadeAhead, reapplyStaleProposals, type ReapplyOutcome } from './reapply-proposals.js';
import { adoptableRuns, AGENT_RESULT_SETTLE_MS, sleep, type LivenessOptions } from './liveness.js';
import { hasEnded, type ExperimentDecision } from './decide-experiment.js';
import { decideStagedExperiment, stageContextFor } from './decide-stage.js';
import { pooledEvidenceFor, queueHeadRuns } from './pooled-evidence.js';
import { rankGeneration, type GenerationMember } from './decide-generation.js';
import { EarlyStopper, isEarlyStopped } from './early-stopping.js';
import { adoptBestHeads, adoptionRoundOf } from './branch-adoption.js';
import { ensureFinalHoldout } from './final-holdout.js';
import { queueRemeasurement, remeasurementDue } from './noise-remeasurement.js';
import { buildRunAssignment } from './run-assignment.js';
import { holdoutRunsOf } from './study-lifecycle.js';
import { firstStageRepeats, stageOf } from '../spec/stages.js';
import { summarizeProgress, type StudyProgress } from './study-progress.js';

export interface SchedulerEvents {
  'experiment.created': [{ study: StudyRow; experiment: ExperimentRow }];
  'experiment.decided': [{ study: StudyRow; experiment: ExperimentRow; decision: ExperimentDecision; progress: StudyProgress }];
  'run.started': [{ study: StudyRow; run: RunRow; slot: Slot }];
  /** `finishedAt` (epoch ms) comes with an agent's result, for the ingest lag; not with an end found by the controller. */
  'run.finished': [{ runId: string; status: string; reason: string | undefined; finishedAt?: number }];
  'study.stopping': [{ studyId: string; reason: string }];
  /** A lagging branch took the best branch's head (search.adoptEvery); the experiment is its record. */
  'branch.adopted': [{ study: StudyRow; experiment: ExperimentRow }];
  /** A promising candidate runs again before it is decided (adaptive repeats). */
  'experiment.extended': [{ study: StudyRow; experiment: ExperimentRow; from: number; to: number; reason: string }];
  /** A candidate that passed the rule runs afresh before its branch builds on it (decision.confirmRuns). */
  'experiment.confirming': [{ study: StudyRow; experiment: ExperimentRow; runs: number; reason: string }];
  /** A candidate promising at a stage before the last runs the next stage (spec.stages). */
  'experiment.promoted': [{ study: StudyRow; experiment: ExperimentRow; from: string; to: string; runs: number; reason: string }];
  /** A skill study's final check: its best revision runs on the holdout inputs. */
  'holdout.started': [{ studyId: string; reason: string; experimentNumber: number; runs: number }];
  'study.stopped': [{ study: StudyRow }];
}

interface ActiveRun {
  runId: string;
  attempt: number;
  studyId: string;
  slot: Slot;
  /** Launched by an earlier process of this controller: no agent process to watch, only its messages. */
  adopted: boolean;
}

export interface SchedulerOptions {
  store: Store;
  executor: Executor;
  transport: ControllerTransport & { drained?(runId: string): Promise<void> };
  log: Logger;
  controllerUrl: () => string;
  /** This controller's name, recorded on the runs it claims so that a restart can adopt them. */
  controllerId: string;
  /** Only these studies (embedded mode), or every active study in the database. */
  studyIds?: string[];
  pollIntervalMs?: number;
  liveness: LivenessOptions;
  /** What mutators need (the model's API for `llm`). */
  mutatorDeps?: MutatorDeps;
  /** How long a study whose model is unavailable stays paused before the next try (doubling, up to 10×). */
  modelPauseSeconds?: number;
  /** How often agents report that they are alive (told to them in their assignment). */
  heartbeatSeconds?: number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  private readonly active = new Map<string, ActiveRun>();
  private readonly mutators = new Map<string, Mutator>();
  /** `branchId@headRevisionId` pairs whose every change was tried; a moved head opens new ones. */
  private readonly exhaustedHeads = new Set<string>();
  /** Proposals being made, per branch: with candidatesPerHead they count towards the head's candidates. */
  private readonly proposingOn = new Map<string, number>();
  /** Proposals being made in the background, per study (mutators with `ahead`). */
  private readonly proposing = new Map<string, number>();
  /** Those proposals themselves, so that close() lets them finish before the store goes. */
  private readonly proposals = new Set<Promise<void>>();
  /** A paused study's next try at its model, and the pause that led to it. */
  private readonly modelRetry = new Map<string, { at: number; pauseMs: number }>();
  private ticking: Promise<void> | null = null;
  private launching: Promise<void> = Promise.resolve();
  private tickAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private startedAt = Date.now();

  private readonly earlyStopper: EarlyStopper;
  private readonly runLogs: RunLogs;

  constructor(private readonly options: SchedulerOptions) {
    super();
    this.earlyStopper = new EarlyStopper(options.store, options.transport, options.log);
    this.runLogs = new RunLogs(options.log, options.store);
  }

  /**
   * Adopts the runs an earlier process of this controller left running (a pool executor adopts every
   * run of its pool, whoever launched it), then starts the loop.
   */
  async start(): Promise<void> {
    const { executor, store } = this.options;
    this.startedAt = Date.now();
    if (executor.placement === 'slots') {
      for (const run of await adoptableRuns(store, this.options.controllerId)) {
        const slot = executor.slots().find((s) => s.name === run.slot);
        if (!slot) continue;
        this.active.set(run.id, { runId: run.id, attempt: run.attempt, studyId: run.studyId, slot, adopted: true });
        this.runLogs.bind(run).info({ slot: slot.name }, 'run adopted: its agent outlived the last controller');
      }
    } else {
      await executor.start(
        (run, gone) => void this.onAgentGone(run, gone),
        async (runId, attempt) => {
          const row = await store.getRun(runId);
          return row?.status === 'running' && row.attempt === attempt;
        },
      );
    }
    this.options.transport.onMessage((message) => this.handleAgentMessage(message));
    this.timer = setInterval(() => this.nudge(), this.options.pollIntervalMs ?? 1000);
    this.nudge();
  }

  /** Runs a tick now, or right after the one in progress. */
  nudge(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'scheduler tick failed; retrying on the next tick'))
      .finally(() => {
        this.ticking = null;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.nudge();
        }
      });
  }

  /** Waits for the tick in progress, if any. */
  async settled(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  activeRunCount(studyId?: string): number {
    return [...this.active.values()].filter((r) => studyId === undefined || r.studyId === studyId).length;
  }

  async requestStop(studyId: string, reason: string, final: 'stopped' | 'completed' = 'stopped'): Promise<void> {
    const study = await this.options.store.getStudy(studyId);
    if (!study || study.status === 'stopped' || study.status === 'completed') return;
    if (study.status !== 'stopping') {
      // The final status is stored: whichever controller sees the last run end makes the transition.
      await this.options.store.updateStudy(studyId, { status: 'stopping', stopReason: reason, finalStatus: final });
      await this.options.store.appendEvent(studyId, 'study.stopping', { reason, final });
      this.emit('study.stopping', { studyId, reason });
    }
    this.nudge();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.settled();
    await this.launching;
    // A proposal a moment from done is let finish; one stuck retrying an unreachable model is not waited for.
    await Promise.race([Promise.all([...this.proposals]), sleep(5000)]);
  }

  private async tick(): Promise<void> {
    await this.declareSilentRunsLost();
    const studies = await this.studiesToRun();
    for (const study of studies) await this.tickStudy(study);
    if (studies.some((s) => s.status === 'running' || s.status === 'paused')) await this.launchNow();
  }

  /**
   * Fills free capacity with queued runs. Calls are serialized (two at once could put two runs in one
   * slot), but not behind a tick: a slot that a result has just freed takes a run made ahead at once,
   * without waiting for the decisions and proposals of a tick in progress. The claim shares the slots
   * fairly among all running studies, and takes none from a stopping one; embedded mode restricts it to
   * its own studies.
   */
  private launchNow(): Promise<void> {
    const next = this.launching.then(() => (this.closed ? undefined : this.launchQueuedRuns(this.options.studyIds)));
    this.launching = next.catch(() => {});
    return next;
  }

  private async studiesToRun(): Promise<StudyRow[]> {
    const { store, studyIds } = this.options;
    if (!studyIds) return store.listStudiesByStatus(['running', 'paused', 'stopping']);
    const rows = await Promise.all(studyIds.map((id) => store.getStudy(id)));
    return rows.filter((s): s is StudyRow => s !== undefined && (s.status === 'running' || s.status === 'paused' || s.status === 'stopping'));
  }

  private async tickStudy(initial: StudyRow): Promise<void> {
    const { store } = this.options;
    let study = initial;
    let experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
    if (await this.decideFinishedExperiments(study, experiments)) {
      study = (await store.getStudy(study.id)) ?? study;
      experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
    }
    if (study.status === 'stopping') return this.drainStoppingStudy(study, experiments);

    const queuedRuns = await store.listRunsByStatus(study.id, 'queued');
    if (study.spec.mutator.kind === 'llm') {
      // A keep re-applies the proposals made ahead itself; this finds the ones it could not see. Before the
      // stop conditions: proposals still queued at max experiments must not run on a stale head either.
      let moved = false;
      for (const { headRevisionId, outcome } of await reapplyStaleProposals(store, { study, experiments, queuedRuns })) {
        moved = (await this.recordReapplied(study.id, headRevisionId, outcome)) || moved;
      }
      if (moved) {
        this.nudge(); // the next tick counts with the moved experiments
        return;
      }
    }
    const spec = study.spec;
    const progress = summarizeProgress(experiments, spec.objective.direction);
    const stopSpec: StopConditionsSpec = { ...spec.stop, ...(study.stopOverrides as StopConditionsSpec) };
    const verdict = evaluateStopConditions({
      stop: stopSpec,
      objective: spec.objective,
      decidedExperiments: progress.decided,
      bestScore: progress.bestScore,
      startedAt: study.startedAt,
      now: new Date(),
      experimentsSinceLastKeep: progress.experimentsSinceLastKeep,
      userRequested: false,
      modelCostUsd: experiments.reduce((sum, e) => sum + (e.modelUsage?.costUsd ?? 0), 0),
      decidedScores: experiments
        .filter((e) => e.status === 'decided' && e.outcome !== 'invalid' && e.outcome !== 'stopped' && e.outcome !== 'remeasure' && e.outcome !== 'adopted')
        // A guard-failed candidate's score is not one the study may claim: it breaks a streak like a crash.
        .map((e) => ({ number: e.number, score: e.outcome === 'guard-failed' ? null : e.score })),
    });
    // A skill study with holdout inputs ends by scoring its best revision on them, once its last
    // experiments are decided; from the moment it decides to stop, it makes no more experiments.
    if (holdoutRunsOf(spec) > 0 && (study.stopReason !== null || verdict.stop)) {
      return this.finishWithHoldout(study, progress.pending, study.stopReason ?? (verdict.stop ? verdict.reason : ''));
    }
    if (verdict.stop && verdict.condition !== 'max-experiments') {
      return this.requestStop(study.id, verdict.reason, 'completed');
    }
    if (verdict.stop && progress.pending === 0) return this.requestStop(study.id, verdict.reason, 'completed');
    if (verdict.stop) return; // max experiments created: let the pending ones finish

    // A skill edit targets the head's most common failing eval: before the baseline is scored there is
    // nothing to target, and a proposal made blind would waste an experiment.
    if (spec.flavor === 'skill' && !progress.baselineDecided) return;
    if (spec.search.adoptEvery !== undefined) {
      for (const adoption of await adoptBestHeads(store, study, experiments, (branch) => this.noiseFor(study, branch))) {
        this.emit('branch.adopted', { study, experiment: adoption });
        experiments = [...experiments, adoption];
      }
    }
    if (remeasurementDue(spec, experiments)) {
      const experiment = await queueRemeasurement(store, study, stopSpec.maxExperiments).catch((error: unknown) => {
        if (error instanceof ConflictError || error instanceof ExperimentCapError) return null;
        throw error;
      });
      if (experiment) {
        await store.appendEvent(study.id, 'experiment.created', { experimentId: experiment.id, number: experiment.number, description: experiment.description });
        this.emit('experiment.created', { study, experiment });
        experiments = [...experiments, experiment];
      }
    }
    let queued = queuedRuns.length;
    let created = progress.created;
    const freeSlots = this.freeCapacity();
    const retry = this.modelRetry.get(study.id);
    if (retry && Date.now() < retry.at) return; // paused: its runs go on, its model is given time
    const ahead = this.aheadFor(study);
    if (ahead > 0) return this.proposeAhead(study, experiments, { queued, created, freeSlots, ahead, maxExperiments: stopSpec.maxExperiments });
    while (queued < freeSlots && mayStartAnotherExperiment(stopSpec, created)) {
      let outcome: Awaited<ReturnType<Scheduler['createExperiment']>>;
      try {
        outcome = await this.createExperiment(study, experiments, stopSpec.maxExperiments);
      } catch (error) {
        await this.onProposalFailed(study.id, error);
        break;
      }
      if (outcome === 'taken' || outcome === 'waiting') break;
      if (outcome !== 'exhausted') await this.modelAnswered(study);
      if (outcome === 'exhausted') {
        if (progress.pending === 0 && this.activeRunCount(study.id) === 0 && queued === 0) {
          await this.requestStop(study.id, 'search exhausted: every change the mutator can make from the head was tried', 'completed');
        }
        break;
      }
      experiments = [...experiments, outcome];
      created += 1;
      queued += outcome.status === 'pending' ? outcome.repeats : 0;
    }
  }

  /**
   * The end of a skill study: the stop reason is recorded at once (the study is finishing, and a later
   * score cannot undo that), the experiments in flight are decided, the best revision runs on the holdout
   * inputs, and then the study completes.
   */
  private async finishWithHoldout(study: StudyRow, pendingExperiments: number, reason: string): Promise<void> {
    const { store } = this.options;
    if (study.stopReason === null) {
      await store.updateStudy(study.id, { stopReason: reason });
      await store.appendEvent(study.id, 'study.finishing', { reason });
    }
    // Proposals still being made land as experiments too: those are decided first, so the holdout runs
    // are the study's last runs and score the revision that really is the best.
    if (pendingExperiments > 0 || (this.proposing.get(study.id) ?? 0) > 0) return;
    const state = await ensureFinalHoldout(store, study);
    if (state.added > 0) {
      await store.appendEvent(study.id, 'holdout.started', { experimentNumber: state.experimentNumber, runs: state.added });
      this.emit('holdout.started', { studyId: study.id, reason, experimentNumber: state.experimentNumber, runs: state.added });
    }
    if (state.done) await this.requestStop(study.id, reason, 'completed');
  }

  /** Re-applies a branch's proposals made ahead to its head, or drops them, and records what moved. */
  private async reapplyToHead(study: StudyRow, branchId: string, headRevisionId: string): Promise<void> {
    const moved = await reapplyProposalsMadeAhead(this.options.store, { studyId: study.id, spec: study.spec, branchId, headRevisionId });
    await this.recordReapplied(study.id, headRevisionId, moved);
  }

  private async recordReapplied(studyId: string, head: string, moved: ReapplyOutcome): Promise<boolean> {
    if (moved.reapplied.length === 0 && moved.dropped.length === 0) return false;
    await this.options.store.appendEvent(studyId, 'experiments.reapplied', { head, reapplied: moved.reapplied, dropped: moved.dropped });
    return true;
  }

  /** How many proposals to keep made ahead: `mutator.ahead` (default one per slot) for llm, none otherwise. */
  private aheadFor(study: StudyRow): number {
    if (study.spec.mutator.kind !== 'llm') return 0;
    const { executor } = this.options;
    const slots = executor.placement === 'slots' ? executor.slots().length : executor.capacity().total;
    return study.spec.mutator.ahead ?? Math.max(1, slots);
  }

  /**
   * Keeps proposals made ahead, so a free slot never waits on the model: queued runs cover the free
   * slots plus `ahead` more, counting the proposals in flight, with at most `ahead` calls at once.
   */
  private proposeAhead(
    study: StudyRow,
    experiments: ExperimentRow[],
    state: { queued: number; created: number; freeSlots: number; ahead: number; maxExperiments: number | undefined },
  ): void {
    const inFlight = this.proposing.get(study.id) ?? 0;
    const repeats = firstStageRepeats(study.spec);
    const wanted = Math.ceil((state.freeSlots + state.ahead - state.queued) / repeats) - inFlight;
    const room = state.maxExperiments === undefined ? Infinity : state.maxExperiments - state.created - inFlight;
    const start = Math.min(wanted, state.ahead - inFlight, room);
    for (let i = 0; i < start; i += 1) {
      this.proposing.set(study.id, (this.proposing.get(study.id) ?? 0) + 1);
      const proposal = this.createExperiment(study, experiments, state.maxExperiments)
        .then(async (outcome) => {
          if (outcome === 'exhausted' || outcome === 'taken' || outcome === 'waiting') return;
          await this.modelAnswered(study);
        })
        .catch((error: unknown) => this.onProposalFailed(study.id, error))
        .finally(() => {
          this.proposing.set(study.id, (this.proposing.get(study.id) ?? 1) - 1);
          this.proposals.delete(proposal);
          this.nudge();
        });
      this.proposals.add(proposal);
    }
  }

  /** The model answered: a paused study resumes (also one paused by an earlier process of this controller). */
  private async modelAnswered(seen: StudyRow): Promise<void> {
    const studyId = seen.id;
    if (!this.modelRetry.delete(studyId) && seen.status !== 'paused') return;
    const study = await this.options.store.getStudy(studyId);
    if (study?.status !== 'paused') return;
    await this.options.store.updateStudy(studyId, { status: 'running', pausedReason: null });
    await this.options.store.appendEvent(studyId, 'study.resumed', { reason: 'the model answered again' });
  }

  /**
   * A proposal failed. An unavailable model pauses the study (its runs go on) and is tried again after
   * a pause that doubles while it stays down; other studies are not affected.
   */
  private async onProposalFailed(studyId: string, error: unknown): Promise<void> {
    const { store, log } = this.options;
    if (!(error instanceof ModelUnavailableError)) {
      log.error({ err: error, studyId }, 'making a proposal failed; trying again on the next tick');
      return;
    }
    const base = (this.options.modelPauseSeconds ?? 30) * 1000;
    const previous = this.modelRetry.get(studyId);
    const pauseMs = previous ? Math.min(previous.pauseMs * 2, base * 10) : base;
    this.modelRetry.set(studyId, { at: Date.now() + pauseMs, pauseMs });
    const study = await store.getStudy(studyId);
    const reason = `${error.message}; trying again in ${Math.round(pauseMs / 1000)} s`;
    log.warn({ studyId }, `study paused: ${reason}`);
    if (study?.status === 'running' || study?.status === 'paused') {
      if (study.status === 'running') await store.appendEvent(studyId, 'study.paused', { reason });
      await store.updateStudy(studyId, { status: 'paused', pausedReason: reason });
    }
  }

  /**
   * The new experiment; 'exhausted' when no branch has a change left; 'taken' when another controller just
   * made it; 'waiting' when every branch of a skill study has an experiment in flight.
   */
  private async createExperiment(study: StudyRow, experiments: ExperimentRow[], maxExperiments: number | undefined): Promise<ExperimentRow | 'exhausted' | 'taken' | 'waiting'> {
    const { store } = this.options;
    const branches = await store.listBranches(study.id);
    const lambda = study.spec.search.candidatesPerHead;
    // With candidatesPerHead, proposals made meanwhile count too: read the study's experiments afresh.
    const current = lambda === undefined ? experiments : await store.listExperiments(study.id, { limit: 1_000_000, status: 'pending' });
    const pendingPerBranch = (branchId: string) =>
      current.filter((e) => e.branchId === branchId && e.status === 'pending').length;
    const madePerBranch = (branchId: string) => experiments.filter((e) => e.branchId === branchId && e.kind === 'candidate').length;
    const fromHead = (b: BranchRow) =>
      current.filter((e) => e.branchId === b.id && e.status === 'pending' && e.kind === 'candidate' && e.parentRevisionId === b.headRevisionId).length +
      (this.proposingOn.get(b.id) ?? 0);
    // A skill edit targets its head's failures, so a skill branch takes its next experiment only once the
    // last is decided: made earlier, it would target failures the pending one may fix, on a head it may replace.
    const oneAtATime = study.spec.flavor === 'skill';
    const adoptionRound = adoptionRoundOf(study.spec, experiments);
    const open = branches.filter((b) =>
      (!oneAtATime || pendingPerBranch(b.id) === 0) &&
      (lambda === undefined || fromHead(b) < lambda) &&
      // A branch due to be compared with the best one makes nothing more until it has been.
      b.adoptionRound >= adoptionRound);
    if (open.length === 0) return 'waiting';
    const candidates = open
      .filter((b) => !this.exhaustedHeads.has(`${b.id}@${b.headRevisionId}`))
      // The branch with the fewest in flight, then the fewest made: with fewer slots than branches, they take turns.
      .sort((a, b) => pendingPerBranch(a.id) - pendingPerBranch(b.id) || madePerBranch(a.id) - madePerBranch(b.id) || a.index - b.index);
    for (const branch of candidates) {
      this.proposingOn.set(branch.id, (this.proposingOn.get(branch.id) ?? 0) + 1);
      const result = await createNextExperiment({
        store,
        studyId: study.id,
        spec: study.spec,
        branch,
        mutator: this.mutatorFor(study),
        history: experiments,
        maxExperiments,
      }).finally(() => this.proposingOn.set(branch.id, (this.proposingOn.get(branch.id) ?? 1) - 1));
      if ('exhausted' in result) {
        this.exhaustedHeads.add(`${branch.id}@${branch.headRevisionId}`);
        continue;
      }
      if ('duplicate' in result) return 'taken';
      await store.appendEvent(study.id, 'experiment.created', {
        experimentId: result.created.id,
        number: result.created.number,
        description: result.created.description,
      });
      this.emit('experiment.created', { study, experiment: result.created });
      return result.created;
    }
    return 'exhausted';
  }

  /** Runs that could start now: free slots here, or the pool's free GPUs (a run takes at least one). */
  private freeCapacity(): number {
    const { executor } = this.options;
    if (executor.placement === 'slots') return executor.slots().length - this.active.size;
    const pool = executor.capacity();
    return pool.total - pool.busy;
  }

  private mutatorFor(study: StudyRow): Mutator {
    let mutator = this.mutators.get(study.id);
    if (!mutator) {
      mutator = mutatorForSpec(study.spec, this.options.mutatorDeps);
      this.mutators.set(study.id, mutator);
    }
    return mutator;
  }

  /**
   * Decides, in number order, every experiment whose runs have all finished; with candidatesPerHead, a
   * candidate waits for the others its branch ran from the same head, and they are decided together.
   * Returns whether any was.
   */
  private async decideFinishedExperiments(study: StudyRow, experiments: ExperimentRow[]): Promise<boolean> {
    const { store } = this.options;
    const pending = experiments.filter((e) => e.status === 'pending').sort((a, b) => a.number - b.number);
    const runsOf = new Map<string, RunRow[]>();
    const ended = async (experiment: ExperimentRow) => {
      const runs = runsOf.get(experiment.id) ?? (await store.listRuns(experiment.id));
      runsOf.set(experiment.id, runs);
      return runs.length > 0 && runs.every(hasEnded);
    };
    const done = new Set<string>();
    let decidedAny = false;
    for (const experiment of pending) {
      if (done.has(experiment.id)) continue;
      if (!(await ended(experiment))) break;
      const branch = await store.getBranch(experiment.branchId);
      if (!branch) throw new Error(`branch ${experiment.branchId} of experiment ${experiment.id} is missing`);
      const generation = await this.generationOf(study, experiment, branch);
      let allEnded = true;
      for (const member of generation) allEnded = (await ended(member)) && allEnded;
      if (!allEnded) break; // decisions go in number order: the later ones wait for this generation
      if (!this.generationComplete(study, experiments, branch, generation)) break;
      const noise = await this.noiseFor(study, branch);
      const decisions: GenerationMember[] = [];
      for (const member of generation) {
        const context = await stageContextFor(store, study.spec, member, branch);
        const evidence = await pooledEvidenceFor(store, study.spec, member, branch, runsOf.get(member.id)!);
        const decision = decideStagedExperiment({ spec: study.spec, experiment: member, runs: evidence.runs, branch: evidence.branch, noise }, context);
        if (evidence.note !== null && !decision.extend && !decision.confirm && !decision.promote) decision.reason += `; ${evidence.note}`;
        decisions.push({ experiment: member, decision });
      }
      const members = rankGeneration(decisions, study.spec.objective.direction);
      // More runs first, for any member that needs them: the generation is decided only once all have them.
      const needMore = members.filter(({ decision }) => decision.extend || decision.confirm || decision.promote);
      for (const { experiment: member, decision } of needMore) {
        if (decision.promote) await this.promoteExperiment(study, member, decision.promote);
        else await this.extendExperiment(study, member, runsOf.get(member.id)!, decision, decision.extend ? 'working' : 'confirm', branch);
      }
      if (needMore.length > 0) break;
      for (const member of members) {
        done.add(member.experiment.id);
        const outcome = await this.recordDecision(study, experiments, branch, member);
        if (outcome === 'skipped') continue;
        decidedAny = true;
        if (outcome === 'baseline-failed') return true;
      }
    }
    return decidedAny;
  }

  /**
   * The candidates decided together with this one: with candidatesPerHead, every pending candidate its
   * branch made from its current head (read afresh: a proposal made ahead may have landed since the tick
   * began); otherwise it alone.
   */
  private async generationOf(study: StudyRow, experiment: ExperimentRow, branch: BranchRow): Promise<ExperimentRow[]> {
    const fromHead = (e: ExperimentRow) => e.kind === 'candidate' && e.branchId === branch.id && e.parentRevisionId === branch.headRevisionId;
    if (study.spec.search.candidatesPerHead === undefined || !fromHead(experiment)) return [experiment];
    const pending = await this.options.store.listExperiments(study.id, { limit: 1_000_000, branchId: branch.id, status: 'pending' });
    return pending.filter(fromHead);
  }

  /**
   * With candidatesPerHead, a generation is decided once it has its λ candidates, or once its branch can make
   * no more from that head: the mutator has nothing left, the study has its experiments or is stopping, or the
   * branch is due to be compared for adoption. Decided earlier, a first candidate that finished before its
   * sibling was made would be kept alone, and the sibling made from the new head.
   */
  private generationComplete(study: StudyRow, experiments: ExperimentRow[], branch: BranchRow, generation: ExperimentRow[]): boolean {
    const lambda = study.spec.search.candidatesPerHead;
    if (lambda === undefined || generation.length >= lambda || study.status === 'stopping') return true;
    if (generation.some((e) => e.kind !== 'candidate' || e.parentRevisionId !== branch.headRevisionId)) return true;
    if (this.exhaustedHeads.has(`${branch.id}@${branch.headRevisionId}`)) return true;
    const { maxExperiments } = { ...study.spec.stop, ...(study.stopOverrides as StopConditionsSpec) };
    if (maxExperiments !== undefined && experiments.filter((e) => e.kind !== 'adopt').length >= maxExperiments) return true;
    return branch.adoptionRound < adoptionRoundOf(study.spec, experiments);
  }

  /** Makes one decision durable and tells the listeners; 'baseline-failed' stops the study. */
  private async recordDecision(
    study: StudyRow,
    experiments: ExperimentRow[],
    branch: BranchRow,
    { experiment, decision }: GenerationMember,
  ): Promise<'skipped' | 'decided' | 'baseline-failed'> {
    const { store } = this.options;
    const newHead = decision.newHeadValues && experiment.candidateRevisionId
      ? {
          branchId: branch.id,
          revisionId: experiment.candidateRevisionId,
          experimentId: experiment.id,
          score: decision.score!,
          values: decision.newHeadValues,
          ...(decision.newHeadStageValues && { stageValues: decision.newHeadStageValues }),
        }
      : undefined;
    if (newHead && decision.outcome === 'keep' && experiment.kind === 'candidate' && experiment.parentRevisionId !== branch.headRevisionId) {
      // Made from an earlier head, and better than the one its branch moved to since: it becomes the head,
      // without the changes kept in between.
      decision.reason += '; it was made from an earlier head, so the changes kept since are not in it';
    }
    const applied = await store.decideExperiment({
      experimentId: experiment.id,
      outcome: decision.outcome,
      reason: decision.reason,
      score: decision.score,
      peakMemoryMb: decision.peakMemoryMb,
      stats: decision.stats,
      newHead,
      baseline: decision.outcome === 'baseline' ? { noiseSigma: decision.noise?.sigma ?? null } : undefined,
      noise: decision.outcome === 'remeasure' ? { noiseSigma: decision.noise?.sigma ?? null } : undefined,
      stageVerdict: decision.stageVerdict,
    });
    if (!applied) return 'skipped';
    // A discard within the noise may make its change worth retrying from this head: ask the mutator again.
    if (decision.outcome === 'discard') this.exhaustedHeads.delete(`${branch.id}@${experiment.parentRevisionId}`);
    if (decision.outcome === 'keep' && newHead && study.spec.mutator.kind === 'llm') {
      await this.reapplyToHead(study, branch.id, newHead.revisionId);
    }
    const decided = (await store.getExperiment(experiment.id)) ?? experiment;
    const progress = summarizeProgress(
      experiments.map((e) => (e.id === decided.id ? decided : e)),
      study.spec.objective.direction,
    );
    this.emit('experiment.decided', { study, experiment: decided, decision, progress });
    if (experiment.number === 0 && decision.outcome !== 'baseline') {
      await this.requestStop(study.id, `the baseline failed (${decision.reason}); fix the workspace and run again`, 'stopped');
      return 'baseline-failed';
    }
    return 'decided';
  }

  /**
   * Queues more runs of a candidate before its decision, once (another controller may have done it already):
   * working runs for a promising candidate (adaptive repeats), or fresh confirm runs for one that passed.
   */
  private async extendExperiment(
    study: StudyRow,
    experiment: ExperimentRow,
    runs: RunRow[],
    decision: ExperimentDecision,
    role: 'working' | 'confirm',
    branch: BranchRow,
  ): Promise<void> {
    const { store } = this.options;
    const count = role === 'working' ? decision.extend! : decision.confirm!;
    const runsSoFar = runs.filter((r) => r.role === role).length;
    const added = await store.addRuns({ experimentId: experiment.id, runIds: Array.from({ length: count }, () => randomUUID()), role, whenCount: runsSoFar, stage: experiment.stageReached });
    if (added === 0) return;
    if (role === 'working' && decision.stats) {
      // The head runs again beside the candidate, so that both sides of the comparison grow (its runs count for every candidate from it).
      const referenceSoFar = runs.filter((r) => r.role === 'reference').length;
      await queueHeadRuns(store, study.spec, experiment, branch, { head: decision.stats.nHead, candidateAfter: decision.stats.nCandidate + added, referenceSoFar });
    }
    // With stages, what the reader counts is the runs at the stage deciding it, not the screen's before it.
    const atStage = runs.filter((r) => r.role === role && r.stage === experiment.stageReached).length;
    const summary = decision.stats?.summary ?? decision.reason;
    if (role === 'confirm') {
      await store.appendEvent(study.id, 'experiment.confirming', { experimentId: experiment.id, number: experiment.number, runs: added, summary });
      this.emit('experiment.confirming', { study, experiment, runs: added, reason: summary });
    } else {
      await store.appendEvent(study.id, 'experiment.extended', { experimentId: experiment.id, number: experiment.number, from: atStage, to: atStage + added, summary });
      this.emit('experiment.extended', { study, experiment, from: atStage, to: atStage + added, reason: summary });
    }
    this.nudge();
  }

  /** Queues a promising candidate's runs at its next stage (spec.stages), once, whichever controller gets there first. */
  private async promoteExperiment(study: StudyRow, experiment: ExperimentRow, promote: NonNullable<ExperimentDecision['promote']>): Promise<void> {
    const next = stageOf(study.spec, promote.toStage);
    const promoted = await this.options.store.promoteExperiment({
      experimentId: experiment.id,
      fromStage: promote.toStage - 1,
      toStage: promote.toStage,
      runIds: Array.from({ length: next.repeats }, () => randomUUID()),
      verdict: promote.verdict,
      toStageName: next.name,
    });
    if (!promoted) return;
    this.emit('experiment.promoted', { study, experiment, from: promote.verdict.name, to: next.name, runs: next.repeats, reason: promote.verdict.summary });
    this.nudge();
  }

  /**
   * The baseline's measured spread, for comparisons against a head that is not the baseline itself. When the
   * head is the baseline, its own values already carry that spread; passing it again would count it twice.
   */
  private async noiseFor(study: StudyRow, branch: BranchRow): Promise<{ sigma: number; degreesOfFreedom: number } | null> {
    // Read afresh: the baseline, or a re-measurement, may have been decided earlier in this very tick.
    const noiseSigma = (await this.options.store.getStudy(study.id))?.noiseSigma ?? null;
    if (noiseSigma === null) return null;
    const measurement = await this.options.store.getLatestNoiseMeasurement(study.id);
    if (!measurement || branch.headExperimentId === measurement.id) return null;
    const n = measurement.stats?.nCandidate ?? 0;
    return n >= 2 ? { sigma: noiseSigma, degreesOfFreedom: n - 1 } : null;
  }

  /** A stopping study takes no new runs; its running ones are asked to stop and are recorded as stopped. */
  private async drainStoppingStudy(study: StudyRow, experiments: ExperimentRow[]): Promise<void> {
    const { store, transport } = this.options;
    for (const experiment of experiments) {
      if (experiment.status === 'pending') await store.cancelQueuedRuns(experiment.id);
    }
    // Every running run of the study, whichever controller launched it: over NATS any controller reaches
    // any agent (an IPC channel only reaches its own children; the others are ignored there). Sent on
    // every tick until the run ends, since an agent still starting up may not be listening yet.
    let running = await store.listRunsByStatus(study.id, 'running');
    const { executor } = this.options;
    if (executor.placement === 'pool') {
      // A run whose pod never started (pending on the scheduler, pulling an image) has no agent to tell:
      // it is stopped by deleting its Job.
      for (const run of running.filter((r) => executor.isStarting({ runId: r.id, attempt: r.attempt }))) {
        executor.abandon({ runId: run.id, attempt: run.attempt });
        await store.recordRunEnd(run.id, run.attempt, { status: 'stopped', reason: `${study.stopReason ?? 'study stopping'} (before its agent started)` });
      }
      running = await store.listRunsByStatus(study.id, 'running');
    }
    for (const run of running) {
      const message: ControlMessage = {
        type: 'control', runId: run.id, attempt: run.attempt, action: 'stop', reason: study.stopReason ?? 'study stopping',
      };
      await transport.sendControl(message);
    }
    // The study has stopped only when no run of it is running anywhere, and this controller's agents are gone.
    if (running.length > 0 || [...this.active.values()].some((r) => r.studyId === study.id && !r.adopted)) return;
    const status = study.finalStatus ?? 'stopped';
    await store.updateStudy(study.id, { status, stoppedAt: new Date() });
    await store.appendEvent(study.id, 'study.stopped', { status, reason: study.stopReason });
    if (executor.placement === 'pool') await executor.studyStopped(study.id);
    const stopped = (await store.getStudy(study.id)) ?? study;
    this.emit('study.stopped', { study: stopped });
  }

  private async launchQueuedRuns(studyIds: string[] | undefined): Promise<void> {
    const { store, executor } = this.options;
    if (executor.placement === 'pool') {
      // One claim at a time, each checked against the pool in the database, until nothing more fits.
      for (;;) {
        const pool = executor.capacity();
        if (pool.busy >= pool.total) return;
        const token = randomBytes(32).toString('base64url');
        const run = await store.claimQueuedRun({
          studyIds, slot: pool.name, tokenHash: hashToken(token), host: this.options.controllerId, pool: { total: pool.total, holders: pool.holders },
        });
        if (!run) return;
        await this.launch(run, token, { name: pool.name, env: {} });
      }
    }
    for (const slot of executor.slots()) {
      if ([...this.active.values()].some((r) => r.slot.name === slot.name)) continue;
      const token = randomBytes(32).toString('base64url');
      const run = await store.claimQueuedRun({ studyIds, slot: slot.name, tokenHash: hashToken(token), host: this.options.controllerId });
      if (!run) return;
      this.active.set(run.id, { runId: run.id, attempt: run.attempt, studyId: run.studyId, slot, adopted: false });
      await this.launch(run, token, slot);
    }
  }

  private async launch(run: RunRow, token: string, slot: Slot): Promise<void> {
    const { store, executor } = this.options;
    const [study, experiment] = await Promise.all([store.getStudy(run.studyId), store.getExperiment(run.experimentId)]);
    const branch = experiment && (await store.getBranch(experiment.branchId));
    if (!study || !experiment || !branch) throw new Error(`run ${run.id} belongs to a study, experiment or branch that is missing`);
    const log = this.runLogs.bind(run);
    log.info({ slot: slot.name, experimentNumber: experiment.number, role: run.role }, 'run started');
    this.emit('run.started', { study, run, slot });
    executor.launch(
      {
        runId: run.id,
        attempt: run.attempt,
        token,
        slot,
        controllerUrl: this.options.controllerUrl(),
        studyId: study.id,
        experimentId: experiment.id,
        log,
        spec: study.spec,
        branchIndex: branch.index,
        experimentNumber: experiment.number,
        stage: run.stage,
        assignment: () => buildRunAssignment(store, run, this.options.heartbeatSeconds, study),
      },
      (ended, gone) => void this.onAgentGone(ended, gone),
    );
  }

  /**
   * An agent process is gone. Exit 0 means it delivered its result (over NATS it may still be on its way).
   * Otherwise, once any message in flight has been handled, a run still running lost its agent: it is
   * retried or recorded as lost (an infrastructure failure, not the experiment's).
   */
  private async onAgentGone(run: { runId: string; attempt: number }, gone: AgentGone): Promise<void> {
    const { store, transport } = this.options;
    try {
      await transport.drained?.(run.runId);
      if (gone.verdict) {
        await this.recordVerdict(run, gone.verdict);
      } else if (gone.exitCode !== 0) {
        if (!transport.drained) await sleep(AGENT_RESULT_SETTLE_MS);
        const row = await store.getRun(run.runId);
        if (row && row.status === 'running' && row.attempt === run.attempt) {
          const how = gone.signal ? `signal ${gone.signal}` : `exit code ${gone.exitCode}`;
          const said = gone.lastOutput.length > 0 ? `: ${gone.lastOutput.join(' | ').slice(0, 1000)}` : '';
          await this.declareLost(row, `the agent ended (${how}) without reporting a result${said}`);
        }
      }
    } catch (error) {
      (await this.runLogs.of(run.runId)).error({ err: error }, 'recording a vanished agent failed; the heartbeat timeout will catch it');
    } finally {
      const active = this.active.get(run.runId);
      if (active?.attempt === run.attempt) this.active.delete(run.runId);
      this.nudge();
    }
  }

  /** What the executor found. Every write is guarded by the attempt, so replicas that all saw it agree. */
  private async recordVerdict(run: { runId: string; attempt: number }, verdict: RunVerdict): Promise<void> {
    const { store } = this.options;
    if (verdict.status === 'lost') {
      const row = await store.getRun(run.runId);
      if (row && row.status === 'running' && row.attempt === run.attempt) {
        await this.declareLost(row, verdict.reason, verdict.retry ? this.options.liveness.retries : 0);
      }
      return;
    }
    const ended = await store.recordRunEnd(run.runId, run.attempt, verdict);
    if (!ended) return;
    await store.appendEvent(ended.studyId, `run.${verdict.status}`, { runId: run.runId, attempt: run.attempt, reason: verdict.reason });
    this.runEnded({ runId: run.runId, status: verdict.status, reason: verdict.reason });
  }

  /** Runs whose agent has been silent past the heartbeat timeout are lost; their agent, if ours, is ended. */
  private async declareSilentRunsLost(): Promise<void> {
    const { timeoutSeconds } = this.options.liveness;
    // Silence means something only once this controller has listened for a whole timeout: after a
    // restart, live agents need time to be heard and results queued while it was down need time to land.
    if (Date.now() - this.startedAt < timeoutSeconds * 1000) return;
    const { executor } = this.options;
    for (const run of await this.options.store.listSilentRuns(new Date(Date.now() - timeoutSeconds * 1000))) {
      // A pod still being scheduled or pulling its image has no agent yet; the executor times that out itself.
      if (executor.placement === 'pool' && executor.isStarting({ runId: run.id, attempt: run.attempt })) continue;
      await this.declareLost(run, `no heartbeat for ${timeoutSeconds}s: the agent is gone`);
      if (this.active.get(run.id)?.adopted) this.active.delete(run.id);
      this.options.executor.abandon({ runId: run.id, attempt: run.attempt });
    }
  }

  /**
   * Only a stopping study asks agents to stop. A run that reports `stopped` while its study runs on was
   * stopped by its machine (SIGTERM from an eviction, a drain or a shutdown): it was not the experiment's
   * doing, so it counts as lost and runs again while retries are left.
   */
  private async retryIfStoppedByItsMachine(run: { runId: string; attempt: number; studyId: string; reason: string | undefined }): Promise<string | null> {
    const study = await this.options.store.getStudy(run.studyId);
    if (study?.status !== 'running' && study?.status !== 'paused') return null;
    const reason = `stopped by its machine, not its study (${run.reason ?? 'no reason given'})`;
    const lost = await this.options.store.recordLostRun(run.runId, run.attempt, { reason, retries: this.options.liveness.retries, from: 'stopped' });
    if (!lost) return null;
    await this.options.store.appendEvent(run.studyId, 'run.lost', { runId: run.runId, attempt: run.attempt, reason, retried: lost.status === 'queued' });
    return lost.status === 'queued' ? 'lost (retrying)' : 'lost';
  }

  private async declareLost(run: RunRow, reason: string, retries = this.options.liveness.retries): Promise<void> {
    const lost = await this.options.store.recordLostRun(run.id, run.attempt, { reason, retries });
    if (!lost) return;
    await this.options.store.appendEvent(run.studyId, 'run.lost', { runId: run.id, attempt: run.attempt, reason, retried: lost.status === 'queued' });
    this.runEnded({ runId: run.id, status: lost.status === 'queued' ? 'lost (retrying)' : 'lost', reason }, run);
  }

  /** Logs a run's end on its bound logger (a lost one as a warning) and tells the listeners. */
  private runEnded(ended: SchedulerEvents['run.finished'][0], run?: RunIdentity): void {
    const known = run ? runLogger(this.options.log, run) : this.runLogs.known(ended.runId);
    this.runLogs.forget(ended.runId);
    const write = (log: Logger) => log[ended.status.startsWith('lost') ? 'warn' : 'info']({ status: ended.status, reason: ended.reason }, 'run finished');
    if (known) write(known);
    else void this.runLogs.of(ended.runId).then(write);
    this.emit('run.finished', ended);
  }

  private async handleAgentMessage(message: AgentMessage): Promise<void> {
    const finished = await recordAgentMessage(this.options.store, message, this.options.log);
    if (message.type === 'progress') {
      this.earlyStopper.consider(message).catch(async (error: unknown) => (await this.runLogs.of(message.runId)).warn({ err: error }, 'early stopping failed for this progress'));
    }
    if (finished?.status === 'stopped' && !isEarlyStopped(finished)) finished.status = (await this.retryIfStoppedByItsMachine(finished)) ?? finished.status;
    if (finished) {
      this.earlyStopper.forget(finished.runId, finished.attempt);
      // The slot is free once the result is in: the experiment's processes are gone by then (the agent
      // reports after its process group ended), and waiting for the agent's own exit would idle the slot.
      if (this.active.get(finished.runId)?.attempt === finished.attempt) this.active.delete(finished.runId);
      this.runEnded(finished, { id: finished.runId, studyId: finished.studyId, experimentId: finished.experimentId, attempt: finished.attempt });
      if (this.freeCapacity() > 0) {
        this.launchNow().catch((error: unknown) => this.options.log.error({ err: error }, 'launching queued runs failed; the next tick tries again'));
      }
      this.nudge();
    }
  }
}
