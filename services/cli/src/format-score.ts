// A score as people read it: a skill study's pass rate as a percentage, a training metric with six decimals.
import type { StudySpec } from '../../../schemas/src/study-spec.js';

export function scoreFormatter(spec: Pick<StudySpec, 'flavor'>): (score: number) => string {
  return spec.flavor === 'skill' ? (score) => `${(score * 100).toFixed(1)}%` : (score) => score.toFixed(6);
}
