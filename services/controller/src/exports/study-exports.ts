// Gathers what the exports need from the store, and writes them to a folder when a study stops.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { confineWorkspacePath } from '../revisions/workspace-path.js';
import type { StudyRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isBetter } from '../scheduler/study-progress.js';
import { formatChangelog } from './changelog-md.js';
import { formatResultsTsv } from './results-tsv.js';

export async function resultsTsvOf(store: Store, study: StudyRow): Promise<string> {
  return formatResultsTsv(study.spec, await store.listExperiments(study.id, { limit: 1_000_000 }));
}

export async function changelogOf(store: Store, study: StudyRow): Promise<string> {
  const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
  const runValues = new Map<string, number[]>();
  const failureTails = new Map<string, string[]>();
  for (const experiment of experiments) {
    if (experiment.status !== 'decided') continue;
    const runs = await store.listRuns(experiment.id);
    runValues.set(experiment.id, runs.map((r) => r.metrics?.[study.spec.objective.metric]).filter((v): v is number => typeof v === 'number'));
    const failed = runs.find((r) => r.status !== 'succeeded');
    if (failed?.logTail) failureTails.set(experiment.id, failed.logTail);
  }
  return formatChangelog({ spec: study.spec, experiments, runValues, failureTails });
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

/** Writes results.tsv, changelog.md and best/<mutable files> into `outDir`. */
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
  await rm(join(outDir, 'best'), { recursive: true, force: true });
  for (const file of best.files) {
    const confined = confineWorkspacePath(file.path);
    if (confined.ok) await put(join('best', confined.path), file.content);
  }
  return written;
}
