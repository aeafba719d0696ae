// `status`, `stop` and `export`: through the API of the controller running a study, or, for a study
// folder whose run is not in progress, straight from its embedded database.
import { join, resolve } from 'node:path';
import { readControllerEnv } from '../../../controller/src/config.js';
import { InvalidInputError } from '../../../controller/src/errors.js';
import { writeStudyOutputs } from '../../../controller/src/exports/study-exports.js';
import { summarizeProgress, type StudyProgress } from '../../../controller/src/scheduler/study-progress.js';
import { openStore } from '../../../controller/src/store/open-store.js';
import type { ExperimentRow, StudyRow } from '../../../controller/src/store/schema.js';
import type { Store } from '../../../controller/src/store/store.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApiClient } from '../api-client.js';
import { EXIT } from '../exit-codes.js';
import { scoreFormatter } from '../format-score.js';
import { listExperimentsAfter } from '../live/api-snapshot.js';
import type { OutputMode } from '../live/output-mode.js';
import { pgliteDir, readLiveServerNote, stateDir, type ServerNote } from '../local-state.js';
import { experimentLineOf, snapshotOf, type StudySnapshot } from '../view/study-snapshot.js';
import { watchStatus } from './watch-status.js';

export interface RemoteOptions {
  server?: string;
  token?: string;
  study?: string;
  out?: string;
}

export interface StatusOptions extends RemoteOptions {
  watch?: boolean;
  /** Seconds between two polls of --watch. */
  interval?: number;
}

/** `local`: the controller is a `run` of this study folder, in another terminal. */
type Target = { kind: 'api'; client: ApiClient; studyId: string; local?: { dir: string; note: ServerNote } } | { kind: 'store'; dir: string };

async function resolveTarget(dir: string | undefined, options: RemoteOptions, env: NodeJS.ProcessEnv): Promise<Target> {
  const server = options.server ?? env.AUTORESEARCH_SERVER;
  const token = options.token ?? env.AUTORESEARCH_TOKEN;
  if (server) {
    if (!options.study) throw new InvalidInputError([{ path: '--study', message: 'is required with --server' }], 'missing option');
    return { kind: 'api', client: new ApiClient(server, token), studyId: options.study };
  }
  if (!dir) throw new InvalidInputError([{ path: 'dir', message: 'give a study folder, or --server and --study' }], 'missing argument');
  const note = await readLiveServerNote(dir);
  if (note) return { kind: 'api', client: new ApiClient(note.url, token), studyId: note.studyId, local: { dir: resolve(dir), note } };
  return { kind: 'store', dir: resolve(dir) };
}

/** Opens the folder's embedded database (or DATABASE_URL's) to read a study that is not running. */
async function withLocalStudy<T>(dir: string, use: (store: Store, study: StudyRow) => Promise<T>, studyId?: string): Promise<T> {
  const env = readControllerEnv();
  const store = await openStore(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { pgliteDir: pgliteDir(dir) });
  try {
    const study = studyId ? await store.getStudy(studyId) : await store.findStudyBySourceDir(dir);
    if (!study) throw new InvalidInputError([{ path: 'dir', message: `no study has been run from ${dir}` }], 'nothing to show');
    return await use(store, study);
  } finally {
    await store.close();
  }
}

function printStatus(study: Pick<StudyRow, 'name' | 'status' | 'stopReason' | 'spec'>, progress: StudyProgress, recent: Pick<ExperimentRow, 'number' | 'outcome' | 'status' | 'score' | 'description' | 'reason'>[]): void {
  const metric = study.spec.objective.metric;
  const shown = scoreFormatter(study.spec);
  console.log(`${study.name}: ${study.status}${study.stopReason ? ` (${study.stopReason})` : ''}`);
  console.log(`experiments: ${progress.decided} decided, ${progress.pending} pending; best ${metric} ${progress.bestScore === null ? 'n/a' : shown(progress.bestScore)}` +
    (progress.bestExperimentNumber !== null ? ` (#${progress.bestExperimentNumber})` : ''));
  for (const e of recent) {
    const outcome = e.status === 'decided' ? (e.outcome ?? '') : 'pending';
    console.log(`  #${String(e.number).padEnd(4)} ${outcome.padEnd(9)} ${e.score === null ? '-'.padEnd(8) : shown(e.score)}  ${e.description}`);
  }
}

export async function statusCommand(dir: string | undefined, options: StatusOptions, env: NodeJS.ProcessEnv, mode: OutputMode): Promise<number> {
  const target = await resolveTarget(dir, options, env);
  if (target.kind === 'api' && options.watch) {
    const { local } = target;
    const readFinalState = local ? () => readStoppedStudy(local.dir, local.note) : undefined;
    return watchStatus({ client: target.client, studyId: target.studyId, readFinalState }, options.interval ?? 2, mode);
  }
  if (target.kind === 'api') {
    const study = await target.client.json<StudyRow & { progress: StudyProgress }>('GET', `/v1/studies/${target.studyId}`);
    const experiments = await listExperimentsAfter(target.client, target.studyId, -1);
    printStatus(study, study.progress, experiments.slice(-15));
    return EXIT.ok;
  }
  if (options.watch) console.log(`no controller is running ${target.dir}: its last state`);
  await withLocalStudy(target.dir, async (store, study) => {
    const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
    printStatus(study, summarizeProgress(experiments, study.spec.objective.direction), experiments.slice(-15));
  });
  return EXIT.ok;
}

/**
 * The state of a study whose `run` no longer answers, from its database. The embedded database has one
 * user at a time: it is read once that process is gone (null until then); Postgres at once.
 */
async function readStoppedStudy(dir: string, note: ServerNote): Promise<StudySnapshot | null> {
  if (!readControllerEnv().databaseUrl) {
    if (await readLiveServerNote(dir)) return null;
    for (let waited = 0; isAlive(note.pid); waited += 100) {
      if (waited >= 10_000) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return withLocalStudy(dir, async (store, study) => {
    const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
    return snapshotOf(study, experiments.map(experimentLineOf), { runsInFlight: [], slots: null, notices: [] });
  }, note.studyId);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function stopCommand(dir: string | undefined, options: RemoteOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const target = await resolveTarget(dir, options, env);
  if (target.kind === 'store') {
    console.log(`no controller is running ${target.dir}; nothing to stop`);
    return EXIT.ok;
  }
  const study = await target.client.json<StudyRow>('POST', `/v1/studies/${target.studyId}/stop`);
  console.log(`${study.name}: ${study.status}`);
  return EXIT.ok;
}

export async function exportCommand(dir: string | undefined, options: RemoteOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const target = await resolveTarget(dir, options, env);
  const outDir = resolve(options.out ?? (dir ? stateDir(dir) : 'autoresearch-export'));
  if (target.kind === 'store') {
    const written = await withLocalStudy(target.dir, (store, study) => writeStudyOutputs(store, study, outDir));
    console.log(`wrote ${written.join(', ')}`);
    return EXIT.ok;
  }
  const base = `/v1/studies/${target.studyId}/exports`;
  const put = async (relative: string, content: string | Buffer) => {
    const path = join(outDir, relative);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    console.log(`wrote ${path}`);
  };
  await put('results.tsv', await target.client.text(`${base}/results.tsv`));
  await put('changelog.md', await target.client.text(`${base}/changelog.md`));
  const best = await target.client.json<{ files: { path: string; contentBase64: string }[] }>('GET', `${base}/best`);
  await rm(join(outDir, 'best'), { recursive: true, force: true });
  for (const file of best.files) {
    if (file.path.split('/').includes('..') || file.path.startsWith('/')) continue;
    await put(join('best', file.path), Buffer.from(file.contentBase64, 'base64'));
  }
  return EXIT.ok;
}
