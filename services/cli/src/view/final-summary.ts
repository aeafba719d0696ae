// The lines left on the screen when the panel ends: the same two lines `run` ends with.
import { scoreFormatter } from '../format-score.js';
import { tallyExperiments, type StudySnapshot } from './study-snapshot.js';

export function finalSummaryLines(snapshot: StudySnapshot): string[] {
  const tally = tallyExperiments(snapshot.experiments, snapshot.spec.objective.direction);
  const best = tally.bestScore === null ? 'n/a' : scoreFormatter(snapshot.spec)(tally.bestScore);
  return [
    `${snapshot.status}: ${snapshot.reason ?? ''}`,
    `${tally.decided} experiments decided; best ${snapshot.spec.objective.metric} ${best}` + (tally.bestNumber !== null ? ` (experiment #${tally.bestNumber})` : ''),
  ];
}
