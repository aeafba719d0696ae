// A skill study's pass rate per eval, experiment by experiment, for the dashboard's chart of how each eval
// improves over time. Counted as skill-results.ts counts them: every eval of every ended working run is a
// trial, and a run that did not succeed fails every eval, whatever its output said.
import { sql } from 'drizzle-orm';
import { queryRows, type StoreDb } from '../db.js';
import type { ExperimentOutcome } from '../schema.js';

export interface EvalRatesRow {
  number: number;
  outcome: ExperimentOutcome | null;
  /** Working runs that have ended; each is one trial of every eval. */
  runs: number;
  /** Passes per eval name (an eval no run passed is absent). */
  passes: Record<string, number>;
}

export async function listSkillEvalRates(
  db: StoreDb,
  studyId: string,
  options: { afterNumber?: number; limit: number },
): Promise<EvalRatesRow[]> {
  const experiments = await queryRows(db, sql`
    SELECT e.id, e.number, e.outcome,
           (SELECT count(*) FROM runs r
             WHERE r.experiment_id = e.id AND r.role = 'working' AND r.status NOT IN ('queued', 'running'))::int AS runs
      FROM experiments e
     WHERE e.study_id = ${studyId} AND e.number > ${options.afterNumber ?? -1} AND e.kind <> 'adopt'
     ORDER BY e.number
     LIMIT ${options.limit}`);
  if (experiments.length === 0) return [];
  const first = Number(experiments[0]!.number);
  const last = Number(experiments[experiments.length - 1]!.number);
  // Only the current attempt's output of a run that succeeded can pass (listSkillOutputs' rule).
  const passes = await queryRows(db, sql`
    SELECT e.number, v.verdict ->> 'eval' AS eval, count(*)::int AS passes
      FROM experiments e
      JOIN skill_outputs o ON o.experiment_id = e.id
      JOIN runs r ON r.id = o.run_id AND r.attempt = o.attempt
      CROSS JOIN LATERAL jsonb_array_elements(o.verdicts) AS v(verdict)
     WHERE e.study_id = ${studyId} AND e.number BETWEEN ${first} AND ${last}
       AND r.role = 'working' AND r.status = 'succeeded' AND (v.verdict ->> 'pass')::boolean
     GROUP BY e.number, v.verdict ->> 'eval'`);
  const byNumber = new Map<number, Record<string, number>>();
  for (const row of passes) {
    const tally = byNumber.get(Number(row.number)) ?? {};
    tally[String(row.eval)] = Number(row.passes);
    byNumber.set(Number(row.number), tally);
  }
  return experiments.map((row) => ({
    number: Number(row.number),
    outcome: (row.outcome as ExperimentOutcome | null) ?? null,
    runs: Number(row.runs),
    passes: byNumber.get(Number(row.number)) ?? {},
  }));
}
