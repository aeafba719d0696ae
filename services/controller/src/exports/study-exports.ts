// Gathers what the exports need from the store, and writes them to a folder when a study stops.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { failedCommandGuard } from '../decisions/guard-checks.js';
import { confineWorkspacePath } from '../revisions/workspace-path.js';
import type { StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isBetter } from '../scheduler/study-progress.js';
import { formatChangelog } from './changelog-md.js';
import { formatResultsTsv } from './results-tsv.js';
import { formatSkillChangelog } from './skill/skill-changelog-md.js';
import { formatSkillReport } from './skill/skill-report-md.js';
import { skillResultsOf } from './skill/skill-results.js';
import { formatSkillResultsJson, formatSkillResultsTsv } from './skill/skill-tables.js';

export async function resultsTsvOf(store: Store, study: StudyRow): Promise<string> {
  if (study.spec.flavor === 'skill') return formatSkillResultsTsv(await skillResultsOf(store, study));
  return formatResultsTsv(study.spec, await store.listExperiments(study.id, { limit: 1_000_000 }));
}

/** A skill study's per-eval breakdown; null for a training study. */
export async function resultsJsonOf(store: Store, study: StudyRow): Promise<string | null> {
  return study.spec.flavor === 'skill' ? formatSkillResultsJson(await skillResultsOf(store, study)) : null;
}

/** A skill study's before-and-after report, working and holdout; null for a training study. */
export async function skillReportOf(store: Store, study: StudyRow): Promise<string | null> {
  return study.spec.flavor === 'skill' ? formatSkillReport(await skillResultsOf(store, study), improvedSkillName(study)) : null;
}

/** SKILL.md → SKILL.improved.md: the improved skill is a new file, beside the results, never the original. */
export function improvedSkillName(study: StudyRow): string | null {
  const file = study.spec.skill?.file;
  if (!file) return null;
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.improved${name.slice(dot)}` : `${name}.improved`;
}

export async function changelogOf(store: Store, study: StudyRow): Promise<string> {
  if (study.spec.flavor === 'skill') return formatSkillChangelog(await skillResultsOf(store, study));
  const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
  const runValues = new Map<string, number[]>();
  const failureTails = new Map<string, string[]>();
  const guardTails = new Map<string, { guard: string; run: number; tail: string[] }>();
  for (const experiment of experiments) {
    if (experiment.status !== 'decided') continue;
    // A reference run is the head's, run beside the candidate's adaptive repeats: it scores the head, not this experiment.
    const runs = (await store.listRuns(experiment.id)).filter((r) => r.role !== 'reference');
    // With stages, its score is that of the furthest stage it reached: the values shown are that stage's.
    const scored = runs.filter((r) => r.stage === experiment.stageReached && r.role !== 'holdout');
    runValues.set(experiment.id, scored.map((r) => r.metrics?.[study.spec.objective.metric]).filter((v): v is number => typeof v === 'number'));
    const failed = runs.find((r) => r.status !== 'succeeded');
    if (failed?.logTail) failureTails.set(experiment.id, failed.logTail);
    if (experiment.outcome === 'guard-failed') {
      const guardRun = runs.find((r) => failedCommandGuard(r.guards) !== undefined);
      const guard = guardRun && failedCommandGuard(guardRun.guards);
      if (guard) guardTails.set(experiment.id, { guard: guard.name, run: guardRun.repeatIndex + 1, tail: guard.outputTail });
    }
  }
  return formatChangelog({ spec: study.spec, experiments, runValues, failureTails, guardTails });
}

/** The mutable files of the best head across branches (the baseline's when nothing was kept). */
export async function bestFilesOf(store: Store, study: StudyRow): Promise<{ revisionId: string; score: number | null; files: { path: string; content: Buffer }[] }> {
  const branches = await store.listBranches(study.id);
  const direction = study.spec.objective.direction;
  const best = branches.reduce((a, b) =>
    b.headScore !== null && (a.headScore === null || isBetter(b.headScore, a.headScore, direction)) ? b : a,
  );
  const files = await store.getRevisionFiles(best.headRevisionId);
  return {
    revisionId: best.headRevisionId,
    score: best.headScore,
    files: files.filter((f) => study.spec.workspace.mutable.includes(f.path)).map((f) => ({ path: f.path, content: f.content })),
  };
}

/**
 * Writes results.tsv, changelog.md and best/<mutable files> into `outDir`; for a skill study also
 * results.json, report.md and the improved skill as <name>.improved.<ext>.
 */
export async function writeStudyOutputs(store: Store, study: StudyRow, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const put = async (relative: string, content: string | Buffer) => {
    const target = join(outDir, relative);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(target);
  };
  await put('results.tsv', await resultsTsvOf(store, study));
  await put('changelog.md', await changelogOf(store, study));
  const best = await bestFilesOf(store, study);
  if (study.spec.flavor === 'skill') {
    const results = await skillResultsOf(store, study);
    const improved = improvedSkillName(study)!;
    await put('results.json', formatSkillResultsJson(results));
    await put('report.md', formatSkillReport(results, improved));
    const skillFile = best.files.find((f) => f.path === study.spec.workspace.mutable[0]);
    if (skillFile) await put(improved, skillFile.content);
  }
  await rm(join(outDir, 'best'), { recursive: true, force: true });
  for (const file of best.files) {
    const confined = confineWorkspacePath(file.path);
    if (confined.ok) await put(join('best', confined.path), file.content);
  }
  return written;
}
