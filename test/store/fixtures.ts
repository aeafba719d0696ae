// Rows the store tests build on: a study with one branch on a one-file revision, and its experiments.
import { randomUUID } from 'node:crypto';
import type { ResultMessage } from '../../schemas/src/messages.js';
import type { StudySpec } from '../../schemas/src/study-spec.js';
import type { Store } from '../../services/controller/src/store/store.js';
import type { BranchRow, ExperimentRow, StudyRow, StudyStatus } from '../../services/controller/src/store/schema.js';

export const spec: StudySpec = {
  name: 'tiny',
  flavor: 'training',
  workspace: { mutable: ['train.py'], exclude: [] },
  objective: { metric: 'val_bpb', direction: 'minimize' },
  run: { command: 'python train.py', budgetSeconds: 60, graceSeconds: 5, env: {}, metrics: { source: 'summary' } },
  repeats: 2,
  mutator: { kind: 'params', seed: 0, params: [{ name: 'LR', file: 'train.py', integer: false, scale: 'log' }] },
  search: { branches: 1 },
  decision: { rule: 'noise-aware', confidence: 0.95, minEffect: 0 },
  stop: {},
};

export interface Seeded {
  study: StudyRow;
  branch: BranchRow;
  revisionId: string;
}

export interface SeedOptions {
  status?: StudyStatus;
  sourceDir?: string;
  teamId?: string;
  owner?: string;
  priority?: number;
}

export async function seedStudy(store: Store, options: SeedOptions = {}): Promise<Seeded> {
  const revisionId = await store.putRevision([{ path: 'train.py', content: Buffer.from(`LR = 0.01 # ${randomUUID()}\n`), mode: 0o644 }]);
  let study = await store.createStudy({
    id: randomUUID(),
    name: 'tiny',
    flavor: 'training',
    spec,
    specHash: 'hash',
    sourceDir: options.sourceDir ?? null,
    teamId: options.teamId,
    owner: options.owner,
    priority: options.priority,
  });
  if (options.status) study = (await store.updateStudy(study.id, { status: options.status }))!;
  const branch = await store.createBranch({ id: randomUUID(), studyId: study.id, index: 0, headRevisionId: revisionId });
  return { study, branch, revisionId };
}

export function addExperiment(store: Store, seeded: Seeded, repeats = 2): Promise<ExperimentRow> {
  return store.createExperiment({
    id: randomUUID(),
    studyId: seeded.study.id,
    branchId: seeded.branch.id,
    parentRevisionId: seeded.revisionId,
    candidateRevisionId: seeded.revisionId,
    hypothesis: 'a higher learning rate converges faster',
    variable: 'LR',
    description: 'LR 0.01 -> 0.02',
    changeKey: `LR=${randomUUID()}`,
    diff: '-LR = 0.01\n+LR = 0.02\n',
    repeats,
    runIds: Array.from({ length: repeats }, () => randomUUID()),
  });
}

export function resultFor(runId: string, attempt: number, overrides: Partial<ResultMessage> = {}): ResultMessage {
  return {
    type: 'result',
    runId,
    attempt,
    status: 'succeeded',
    exitCode: 0,
    signal: null,
    startedAt: Date.parse('2026-01-01T00:00:00.000Z'),
    finishedAt: Date.parse('2026-01-01T00:05:00.250Z'),
    peakMemoryMb: 512.5,
    metrics: { val_bpb: 0.9979, training_seconds: 300.1 },
    logTail: ['step 100', 'val_bpb: 0.997900'],
    ...overrides,
  };
}

export function claimRequest(studyIds: string[] | undefined, slot = 'gpu0') {
  return { studyIds, slot, tokenHash: `hash-${randomUUID()}`, host: 'test-host' };
}
