// Re-measuring the noise floor. The baseline's spread goes stale when the machines or the data drift (a
// slower node, a warmer GPU, a grown cache), and a head's own values with it. So every
// decision.remeasureEvery experiments, or when asked, the best head runs again unchanged: its fresh
// values become the head's, and their spread the study's noise.
import { randomUUID } from 'node:crypto';
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { ConflictError } from '../errors.js';
import type { ExperimentRow, StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isBetter } from './study-progress.js';
import { measurementRunStages } from '../spec/stages.js';
import { baselineRepeatsOf } from './study-lifecycle.js';

/** The last measurement of the noise: the baseline, or the latest re-measurement. */
export function latestMeasurement(experiments: ExperimentRow[]): ExperimentRow | undefined {
  return experiments
    .filter((e) => e.kind === 'remeasure' || e.number === 0)
    .reduce<ExperimentRow | undefined>((latest, e) => (latest === undefined || e.number > latest.number ? e : latest), undefined);
}

/** Whether remeasureEvery candidates have been decided since the last measurement, which is itself decided. */
export function remeasurementDue(spec: StudySpec, experiments: ExperimentRow[]): boolean {
  const every = spec.decision.remeasureEvery;
  const latest = latestMeasurement(experiments);
  if (every === undefined || latest === undefined || latest.status !== 'decided' || latest.outcome === null) return false;
  const since = experiments.filter((e) => e.number > latest.number && e.kind === 'candidate' && e.status === 'decided' && e.outcome !== 'invalid');
  return since.length >= every;
}

/** Queues a re-measurement of the best branch head; refused while one is still running. */
export async function queueRemeasurement(store: Store, study: StudyRow, maxExperiments?: number): Promise<ExperimentRow> {
  const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
  if (experiments.some((e) => e.kind === 'remeasure' && e.status === 'pending')) {
    throw new ConflictError('a re-measurement of the noise is already running');
  }
  const direction = study.spec.objective.direction;
  const best = (await store.listBranches(study.id))
    .filter((b) => b.headExperimentId !== null && b.headScore !== null)
    .reduce<Awaited<ReturnType<Store['listBranches']>>[number] | undefined>(
      (top, b) => (top === undefined || isBetter(b.headScore!, top.headScore!, direction) ? b : top),
      undefined,
    );
  if (!best) throw new ConflictError('the baseline is not measured yet: there is no head to measure again');
  // With stages, every stage is measured again: the head's values, and the noise, at each.
  const runStages = measurementRunStages(study.spec, baselineRepeatsOf(study.spec));
  return store.createExperiment({
    id: randomUUID(),
    studyId: study.id,
    branchId: best.id,
    parentRevisionId: best.headRevisionId,
    candidateRevisionId: best.headRevisionId,
    kind: 'remeasure',
    hypothesis: 'Run the best head again, unchanged: the run-to-run noise, and the head\'s own score, may have drifted.',
    variable: null,
    description: 'noise re-measurement',
    changeKey: null,
    diff: '',
    repeats: runStages.length,
    runIds: runStages.map(() => randomUUID()),
    runStages,
    maxExperiments,
  });
}
