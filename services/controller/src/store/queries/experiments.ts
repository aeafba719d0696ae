// Experiments: one mutation of a branch head, numbered densely within its study, with its queued runs.
import { and, asc, count, desc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import { DuplicateChangeError, ExperimentCapError, GenerationFullError, InvalidInputError, NotFoundError } from '../../errors.js';
import { queryRows, type StoreDb } from '../db.js';
import { experiments, runs, type DecisionStats, type ExperimentOutcome, type ExperimentRow, type ExperimentStatus, type ModelUsage, type RunRole, type ExperimentKind, type StageVerdict } from '../schema.js';

export interface NewExperiment {
  id: string;
  studyId: string;
  branchId: string;
  parentRevisionId: string;
  /** Null when the mutation could not be applied. */
  candidateRevisionId: string | null;
  hypothesis: string;
  variable: string | null;
  description: string;
  changeKey: string | null;
  diff: string;
  /** candidate when absent. */
  kind?: ExperimentKind;
  repeats: number;
  /** One queued run is created per id, repeat index 0..n-1. */
  runIds: string[];
  /** The stage of each run in runIds (spec.stages); all at stage 0 when absent. */
  runStages?: number[];
  /** Verdicts known when it is created: a first stage it skips (scheduler/screen-skip.ts). */
  stageVerdicts?: StageVerdict[];
  /**
   * A change tried before from the same head, whose discard was within the noise (decision.maxRepeats):
   * refused only while another try of it is in flight, instead of whenever one exists.
   */
  retry?: boolean;
  /** Skill studies' baseline: runs on the holdout inputs, repeat index n.., which score nothing. */
  holdoutRunIds?: string[];
  /** Given only for an experiment decided on the spot (invalid): it is stored decided, without runs. */
  outcome?: ExperimentOutcome;
  /**
   * The study's cap on experiments (the baseline included, adoption records not), checked under the study
   * lock.
   */
  maxExperiments?: number;
  /**
   * search.candidatesPerHead: refused (GenerationFullError) when the branch already has this many pending
   * candidates from the same head, checked under the study lock so that controllers together respect it.
   */
  generationCap?: number;
  reason?: string | null;
  /** An experiment decided when created may carry a score and the statistics it was decided on (an adoption does). */
  score?: number | null;
  stats?: DecisionStats | null;
  edits?: { path: string; search: string; replace: string }[] | null;
  modelUsage?: ModelUsage | null;
}

export interface ListExperimentsOptions {
  limit: number;
  afterNumber?: number;
  branchId?: string;
  status?: ExperimentStatus;
}

export async function createExperiment(db: StoreDb, input: NewExperiment): Promise<ExperimentRow> {
  const { runIds, runStages, holdoutRunIds = [], outcome, reason, maxExperiments, generationCap, retry = false, ...fields } = input;
  if (runStages !== undefined && runStages.length !== runIds.length) {
    throw new InvalidInputError([{ path: 'runStages', message: `has ${runStages.length} stages for ${runIds.length} runs` }]);
  }
  if (outcome !== undefined && runIds.length > 0) {
    throw new InvalidInputError([{ path: 'runIds', message: 'must be empty for an experiment decided when created' }]);
  }
  if (runIds.length > 0 && fields.candidateRevisionId === null) {
    throw new InvalidInputError([{ path: 'candidateRevisionId', message: 'is required for an experiment with runs' }]);
  }
  return db.transaction(async (tx) => {
    const number = await nextExperimentNumber(tx, input.studyId);
    if (maxExperiments !== undefined) {
      const [counted] = await queryRows(tx, sql`SELECT count(*)::int AS n FROM experiments WHERE study_id = ${input.studyId} AND kind <> 'adopt'`);
      if (Number(counted!.n) >= maxExperiments) throw new ExperimentCapError(maxExperiments);
    }
    if (generationCap !== undefined && outcome === undefined) {
      const [counted] = await queryRows(tx, sql`
        SELECT count(*)::int AS n FROM experiments
         WHERE branch_id = ${fields.branchId} AND parent_revision_id = ${fields.parentRevisionId} AND status = 'pending' AND kind = 'candidate'`);
      if (Number(counted!.n) >= generationCap) throw new GenerationFullError(generationCap);
    }
    // Under the study lock taken above: two controllers proposing the same change from the same head
    // (a deterministic mutator does) get one experiment, not two. A retry is refused only while a try is in flight.
    if (fields.changeKey !== null) {
      const tried = await queryRows(tx, sql`
        SELECT 1 FROM experiments
         WHERE branch_id = ${fields.branchId} AND parent_revision_id = ${fields.parentRevisionId} AND change_key = ${fields.changeKey}
           ${retry ? sql`AND status = 'pending'` : sql``}
         LIMIT 1`);
      if (tried.length > 0) throw new DuplicateChangeError(fields.changeKey);
    }
    const decided = outcome !== undefined;
    const [experiment] = await tx
      .insert(experiments)
      .values({
        ...fields,
        number,
        stageReached: Math.max(0, ...(runStages ?? [])),
        reason: reason ?? null,
        status: decided ? 'decided' : 'pending',
        outcome: outcome ?? null,
        decidedAt: decided ? sql`now()` : null,
      })
      .returning();
    if (runIds.length > 0) {
      await tx.insert(runs).values(
        [...runIds, ...holdoutRunIds].map((id, repeatIndex) => ({
          id,
          studyId: input.studyId,
          experimentId: input.id,
          revisionId: fields.candidateRevisionId!,
          repeatIndex,
          role: repeatIndex < runIds.length ? ('working' as const) : ('holdout' as const),
          stage: runStages?.[repeatIndex] ?? 0,
        })),
      );
    }
    return experiment!;
  });
}

export interface AddedRuns {
  experimentId: string;
  runIds: string[];
  role: RunRole;
  /**
   * Adds them only while the experiment has exactly this many runs of the role, checked under the study
   * lock: two controllers making the same decision add one set, not two.
   */
  whenCount: number;
  /** The stage they run at; the experiment's furthest stage when absent (adaptive repeats and confirmations are at its last). */
  stage?: number;
  /** The revision they run: the candidate's when absent; the head's (the parent) for role reference. */
  revisionId?: string;
}

/**
 * More runs of an experiment's candidate: a promising candidate's extra repeats (working; the experiment's
 * `repeats` grows with them), or a skill study's final check of its best revision (holdout). Returns how
 * many it added: 0 when another controller added them first.
 */
export async function addRuns(db: StoreDb, input: AddedRuns): Promise<number> {
  return db.transaction(async (tx) => {
    const [experiment] = await tx.select().from(experiments).where(eq(experiments.id, input.experimentId));
    if (!experiment?.candidateRevisionId) throw new NotFoundError(`experiment ${input.experimentId} with a candidate`);
    await queryRows(tx, sql`SELECT id FROM studies WHERE id = ${experiment.studyId} FOR NO KEY UPDATE`);
    const [existing] = await queryRows(tx, sql`
      SELECT count(*) FILTER (WHERE role = ${input.role})::int AS of_role, coalesce(max(repeat_index) + 1, 0)::int AS next
        FROM runs WHERE experiment_id = ${input.experimentId}`);
    if (Number(existing!.of_role) !== input.whenCount || input.runIds.length === 0) return 0;
    const next = Number(existing!.next);
    await tx.insert(runs).values(
      input.runIds.map((id, i) => ({
        id,
        studyId: experiment.studyId,
        experimentId: experiment.id,
        revisionId: input.revisionId ?? experiment.candidateRevisionId!,
        repeatIndex: next + i,
        role: input.role,
        stage: input.stage ?? experiment.stageReached,
      })),
    );
    if (input.role === 'working') {
      await tx.update(experiments).set({ repeats: experiment.repeats + input.runIds.length }).where(eq(experiments.id, experiment.id));
    }
    return input.runIds.length;
  });
}

/**
 * Numbers are dense within a study (results.tsv has no gaps), and proposals for one study can be
 * created concurrently. Locking the study row makes a second creator wait until the first commits, so
 * its max+1 already sees the first one's number. FOR NO KEY UPDATE rather than FOR UPDATE: it still
 * serializes creators but does not block foreign-key checks of rows inserted for the study meanwhile.
 * The unique index (study_id, number) is the guard should anything bypass this.
 */
async function nextExperimentNumber(tx: StoreDb, studyId: string): Promise<number> {
  const locked = await queryRows(tx, sql`SELECT id FROM studies WHERE id = ${studyId} FOR NO KEY UPDATE`);
  if (locked.length === 0) throw new NotFoundError(`study ${studyId}`);
  const [row] = await queryRows(
    tx,
    sql`SELECT coalesce(max(number) + 1, 0)::int AS next FROM experiments WHERE study_id = ${studyId}`,
  );
  return Number(row!.next);
}

export async function getExperiment(db: StoreDb, id: string): Promise<ExperimentRow | undefined> {
  const [row] = await db.select().from(experiments).where(eq(experiments.id, id));
  return row;
}

/** The latest decided measurement of the noise: the baseline, or a later re-measurement of a head. */
export async function getLatestNoiseMeasurement(db: StoreDb, studyId: string): Promise<ExperimentRow | undefined> {
  const [row] = await db
    .select()
    .from(experiments)
    .where(and(eq(experiments.studyId, studyId), eq(experiments.status, 'decided'), inArray(experiments.outcome, ['baseline', 'remeasure'])))
    .orderBy(desc(experiments.number))
    .limit(1);
  return row;
}

export async function getExperimentByNumber(
  db: StoreDb,
  studyId: string,
  number: number,
): Promise<ExperimentRow | undefined> {
  const [row] = await db
    .select()
    .from(experiments)
    .where(and(eq(experiments.studyId, studyId), eq(experiments.number, number)));
  return row;
}

export async function listExperiments(
  db: StoreDb,
  studyId: string,
  options: ListExperimentsOptions,
): Promise<ExperimentRow[]> {
  return db
    .select()
    .from(experiments)
    .where(
      and(
        eq(experiments.studyId, studyId),
        options.afterNumber === undefined ? undefined : gt(experiments.number, options.afterNumber),
        options.branchId === undefined ? undefined : eq(experiments.branchId, options.branchId),
        options.status === undefined ? undefined : eq(experiments.status, options.status),
      ),
    )
    .orderBy(asc(experiments.number))
    .limit(options.limit);
}

export async function countExperiments(db: StoreDb, studyId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(experiments).where(eq(experiments.studyId, studyId));
  return row?.n ?? 0;
}

/** The change keys already tried from a revision, so a mutator never proposes the same change twice. */
export async function listTriedChangeKeys(db: StoreDb, studyId: string, parentRevisionId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ changeKey: experiments.changeKey })
    .from(experiments)
    .where(
      and(
        eq(experiments.studyId, studyId),
        eq(experiments.parentRevisionId, parentRevisionId),
        isNotNull(experiments.changeKey),
      ),
    );
  return rows.map((row) => row.changeKey!).sort();
}

/**
 * Moves a proposal made ahead onto a new head of its branch, if none of its runs has started. The runs
 * are locked first, so a claim racing with this either took a run before (and this changes nothing) or
 * skips the locked runs until the move is committed: no run ever starts on a half-moved experiment.
 */
export async function rebaseExperiment(
  db: StoreDb,
  input: { experimentId: string; fromParentRevisionId: string; parentRevisionId: string; candidateRevisionId: string; diff: string; changeKey: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const locked = await queryRows(tx, sql`SELECT status FROM runs WHERE experiment_id = ${input.experimentId} FOR UPDATE`);
    if (locked.length === 0 || locked.some((r) => r.status !== 'queued')) return false;
    const moved = await queryRows(tx, sql`
      UPDATE experiments
         SET parent_revision_id = ${input.parentRevisionId}, candidate_revision_id = ${input.candidateRevisionId},
             diff = ${input.diff}, change_key = ${input.changeKey}
       WHERE id = ${input.experimentId} AND status = 'pending' AND parent_revision_id = ${input.fromParentRevisionId}
   RETURNING id`);
    if (moved.length === 0) return false;
    await tx.execute(sql`UPDATE runs SET revision_id = ${input.candidateRevisionId} WHERE experiment_id = ${input.experimentId}`);
    return true;
  });
}

/** Records a proposal made ahead that cannot move to its branch's new head: invalid, its runs never started. */
export async function dropExperiment(db: StoreDb, experimentId: string, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const locked = await queryRows(tx, sql`SELECT status FROM runs WHERE experiment_id = ${experimentId} FOR UPDATE`);
    if (locked.some((r) => r.status !== 'queued')) return false;
    const dropped = await queryRows(tx, sql`
      UPDATE experiments SET status = 'decided', outcome = 'invalid', reason = ${reason}, decided_at = now()
       WHERE id = ${experimentId} AND status = 'pending'
   RETURNING id`);
    if (dropped.length === 0) return false;
    await tx.execute(sql`UPDATE runs SET status = 'stopped', reason = ${reason}, finished_at = now() WHERE experiment_id = ${experimentId}`);
    return true;
  });
}
