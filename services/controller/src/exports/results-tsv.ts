// results.tsv in autoresearch's columns: commit, the metric, memory_gb, status, description.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { isStaged, stageOf } from '../spec/stages.js';
import type { ExperimentRow } from '../store/schema.js';

/** autoresearch knows keep, discard and crash; our richer outcomes map onto those, the detail goes in the description. */
export function autoresearchStatus(outcome: ExperimentRow['outcome']): 'keep' | 'discard' | 'crash' {
  if (outcome === 'baseline' || outcome === 'keep' || outcome === 'remeasure' || outcome === 'adopted') return 'keep';
  if (outcome === 'discard' || outcome === 'early-stopped' || outcome === 'reverted' || outcome === 'guard-failed' || outcome === 'screened-out') return 'discard';
  return 'crash';
}

function oneLine(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').trim();
}

/** Only decided experiments appear, in number order: a row is written once and never changes. */
export function formatResultsTsv(spec: StudySpec, experiments: ExperimentRow[]): string {
  const header = ['commit', spec.objective.metric, 'memory_gb', 'status', 'description'].join('\t');
  const rows = experiments
    .filter((e) => e.status === 'decided')
    .sort((a, b) => a.number - b.number)
    .map((e) => {
      const status = autoresearchStatus(e.outcome);
      const crashed = status === 'crash';
      const commit = (e.candidateRevisionId ?? e.parentRevisionId).slice(0, 7);
      const metric = crashed || e.score === null ? '0.000000' : e.score.toFixed(6);
      const memory = crashed || e.peakMemoryMb === null ? '0.0' : (e.peakMemoryMb / 1024).toFixed(1);
      return [commit, metric, memory, status, oneLine(`${e.description}${detailOf(e)}${stageOfRow(spec, e)}`)].join('\t');
    });
  return `${[header, ...rows].join('\n')}\n`;
}

const EXPLAINED = new Set<ExperimentRow['outcome']>(['timeout', 'invalid', 'early-stopped', 'remeasure', 'reverted', 'adopted', 'screened-out']);

/** With stages, the stage a candidate reached: a screened-out one's metric is 0, since it has no last-stage score. */
function stageOfRow(spec: StudySpec, e: ExperimentRow): string {
  if (!isStaged(spec) || e.kind !== 'candidate' || e.candidateRevisionId === null) return '';
  return ` [stage: ${stageOf(spec, e.stageReached).name}]`;
}

/** A guard's failure reason as the table shows it: the guard and why, cut short (the changelog has the rest). */
const GUARD_DETAIL_CHARS = 120;

/** What autoresearch's three statuses cannot say, after the description. */
function detailOf(e: ExperimentRow): string {
  if (EXPLAINED.has(e.outcome)) return ` (${e.outcome}: ${e.reason ?? ''})`;
  if (e.outcome === 'guard-failed') {
    const failed = e.stats?.guards?.find((g) => !g.passed);
    const detail = failed?.failure ? `${failed.name}: ${failed.failure.reason}` : (e.reason ?? '');
    return ` (guard-failed: ${detail.length > GUARD_DETAIL_CHARS ? `${detail.slice(0, GUARD_DETAIL_CHARS - 1)}…` : detail})`;
  }
  if (e.outcome === 'keep' && e.stats?.confirmation) return ` (${e.reason ?? 'confirmed'})`;
  return '';
}
