// `autoresearch run <dir>`: the embedded mode. Everything is validated before anything is written; the
// study resumes where it was when run again; Ctrl-C stops the running runs, records them and writes outputs.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import type { ControllerEnv } from '../../../controller/src/config.js';
import { startController, type RunningController } from '../../../controller/src/controller.js';
import { admitLlmSpec } from '../../../controller/src/mutators/llm/admit-llm-spec.js';
import { describeCapacity, type Executor } from '../../../controller/src/executors/executor.js';
import { InvalidInputError } from '../../../controller/src/errors.js';
import { skillReportOf, writeStudyOutputs } from '../../../controller/src/exports/study-exports.js';
import { createStudy, resumeStudy } from '../../../controller/src/scheduler/study-lifecycle.js';
import { summarizeProgress } from '../../../controller/src/scheduler/study-progress.js';
import { loadStudyFolder } from '../../../controller/src/spec/load-study-folder.js';
import { openStore } from '../../../controller/src/store/open-store.js';
import type { StudyRow } from '../../../controller/src/store/schema.js';
import type { Store } from '../../../controller/src/store/store.js';
import { EXIT } from '../exit-codes.js';
import { scoreFormatter } from '../format-score.js';
import { LivePanel } from '../live/live-panel.js';
import type { OutputMode } from '../live/output-mode.js';
import { followScheduler } from '../live/scheduler-snapshot.js';
import { pgliteDir, removeServerNote, stateDir, writeServerNote } from '../local-state.js';
import { attachTerminalView } from '../terminal-view.js';
import { renderPanel } from '../view/panel.js';

export interface RunOptions {
  slots?: number;
  maxExperiments?: number;
  maxMinutes?: number;
  deadline?: string;
  plateau?: number;
  port: number;
  out?: string;
  fresh?: boolean;
  /** The spec file in the folder (default study.yaml). */
  spec?: string;
  /** --plain / --panel: read by main.ts into the output mode. */
  plain?: boolean;
  panel?: boolean;
}

/** Stop conditions given as flags apply on top of the spec's, for this invocation. */
function stopOverridesOf(options: RunOptions): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  if (options.maxExperiments !== undefined) overrides.maxExperiments = options.maxExperiments;
  if (options.maxMinutes !== undefined) overrides.maxMinutes = options.maxMinutes;
  if (options.deadline !== undefined) overrides.deadline = options.deadline;
  if (options.plateau !== undefined) overrides.plateau = options.plateau;
  return overrides;
}

async function createOrResume(store: Store, loaded: Awaited<ReturnType<typeof loadStudyFolder>>, options: RunOptions): Promise<{ study: StudyRow; resumed: boolean }> {
  const overrides = stopOverridesOf(options);
  const existing = options.fresh ? undefined : await store.findStudyBySourceDir(loaded.dir);
  if (!existing) {
    const study = await createStudy(store, { spec: loaded.spec, specHash: loaded.specHash, files: loaded.files, sourceDir: loaded.dir, stopOverrides: overrides });
    return { study, resumed: false };
  }
  if (existing.specHash !== loaded.specHash) {
    throw new InvalidInputError(
      [{ path: 'study.yaml', message: 'changed since this study began; run with --fresh to start a new study (the old one stays recorded)' }],
      'cannot resume',
    );
  }
  return { study: await resumeStudy(store, existing, overrides), resumed: true };
}

/** A skill run waits on model calls, not a GPU or a core: unless told otherwise, four run at once. */
const SKILL_SLOTS = 4;

/** The panel's "slots busy" counts against this. */
function slotCountOf(executor: Executor): number {
  return executor.placement === 'slots' ? executor.slots().length : executor.capacity().total;
}

export async function runCommand(dir: string, options: RunOptions, env: ControllerEnv, mode: OutputMode): Promise<number> {
  const loaded = await loadStudyFolder(dir, options.spec);
  admitLlmSpec(loaded.spec, env.anthropic.apiKey);
  const outDir = options.out ?? stateDir(loaded.dir);
  await mkdir(stateDir(loaded.dir), { recursive: true });
  const log = pino({ level: env.logLevel }, pino.destination({ dest: join(stateDir(loaded.dir), 'controller.log'), sync: false, mkdir: true }));
  const store = await openStore(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { pgliteDir: pgliteDir(loaded.dir) });
  let controller: RunningController | null = null;
  let panel: LivePanel | null = null;
  const write = (line: string) => process.stdout.write(`${line}\n`);
  // A line that stays: above the panel when there is one.
  const say = (line: string) => (panel ? panel.printAbove(line.trimStart()) : write(line));
  try {
    const { study, resumed } = await createOrResume(store, loaded, options);
    controller = await startController({
      store, env, log, host: '127.0.0.1', port: options.port, cpuSlots: options.slots ?? (loaded.spec.flavor === 'skill' ? SKILL_SLOTS : undefined), studyIds: [study.id], auth: 'open', transport: 'embedded',
      executor: 'local',
    });
    await writeServerNote(loaded.dir, { url: controller.url, pid: process.pid, studyId: study.id });
    const { spec } = study;
    if (mode.panel) {
      const experiments = await store.listExperiments(study.id, { limit: 1_000_000 });
      const snapshot = followScheduler(controller.scheduler, study, experiments, slotCountOf(controller.executor), () => panel?.update());
      const hint = 'Ctrl-C stops the study: its running runs are stopped and recorded';
      panel = new LivePanel(process.stdout, (size, now) => renderPanel(snapshot(), { ...size, colour: mode.colour, now, hint }));
    } else {
      attachTerminalView(controller.scheduler, study, write, mode.colour);
    }
    say(`autoresearch ${resumed ? 'resuming' : 'starting'} "${spec.name}": ${spec.objective.metric} (${spec.objective.direction}), ` +
      `${describeCapacity(controller.executor)}, API ${controller.url}`);
    // Its own line: tests and scripts read the API address at the end of the line above.
    say(`dashboard ${controller.url}/#/studies/${study.id}`);
    panel?.start();

    const interrupted = await waitForStop(controller, study, say);
    panel?.stop();
    const finalStudy = (await store.getStudy(study.id)) ?? study;
    const written = await writeStudyOutputs(store, finalStudy, outDir);
    const progress = summarizeProgress(await store.listExperiments(study.id, { limit: 1_000_000 }), spec.objective.direction);
    write(`${finalStudy.status}: ${finalStudy.stopReason ?? ''}`);
    write(`${progress.decided} experiments decided; best ${spec.objective.metric} ${progress.bestScore === null ? 'n/a' : scoreFormatter(spec)(progress.bestScore)}` +
      (progress.bestExperimentNumber !== null ? ` (experiment #${progress.bestExperimentNumber})` : ''));
    write(`wrote ${written.join(', ')}`);
    const report = await skillReportOf(store, finalStudy);
    if (report !== null) write(`\n${report.trimEnd()}`);
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } finally {
    panel?.stop();
    await controller?.close();
    await removeServerNote(loaded.dir);
    await store.close();
    log.flush();
  }
}

/**
 * Resolves when the study has stopped. The first Ctrl-C (or SIGTERM) asks it to stop cleanly: running runs
 * are stopped and recorded. A second one stops waiting; the agents are then killed on close.
 */
function waitForStop(controller: RunningController, study: StudyRow, say: (line: string) => void): Promise<boolean> {
  return new Promise((resolve) => {
    let interrupted = false;
    const onSignal = () => {
      if (interrupted) {
        say('second interrupt: killing the running agents');
        finish();
        return;
      }
      interrupted = true;
      say('\ninterrupted: stopping the running runs cleanly (Ctrl-C again to kill them)');
      void controller.scheduler.requestStop(study.id, 'stopped by user (interrupt)');
    };
    const finish = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(interrupted);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    controller.scheduler.on('study.stopped', ({ study: stopped }) => {
      if (stopped.id === study.id) finish();
    });
  });
}
