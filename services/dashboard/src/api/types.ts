// The shapes of the API answers the pages read (the controller's routes define them; /docs has them all).

export type StudyStatus = 'running' | 'paused' | 'stopping' | 'stopped' | 'completed';

export interface StopConditions {
  maxExperiments?: number;
  deadline?: string;
  maxMinutes?: number;
  plateau?: number;
  maxCostUsd?: number;
  ceiling?: { value: number; consecutive: number };
}

export interface StudySpec {
  name: string;
  flavor: 'training' | 'skill';
  objective: { metric: string; direction: 'minimize' | 'maximize'; target?: number };
  run: { command: string; budgetSeconds: number; kubernetes?: { gpus?: number } };
  repeats: number;
  stop: StopConditions;
  mutator: { kind: string };
  search?: { branches?: number };
  skill?: { evals: { name: string }[] };
  /** Screen, then promote: each stage's name, in order. */
  stages?: { name: string; budgetSeconds: number; repeats: number }[];
}

export interface Study {
  id: string;
  teamId: string;
  owner: string | null;
  priority: number;
  name: string;
  flavor: string;
  spec: StudySpec;
  status: StudyStatus;
  stopReason: string | null;
  pausedReason: string | null;
  noiseSigma: number | null;
  stopOverrides: StopConditions;
  createdAt: string;
  startedAt: string;
  stoppedAt: string | null;
}

export interface StudyDetail extends Study {
  branches: { index: number; headScore: number | null; headExperimentId: string | null }[];
}

export interface Page<T, C = string> {
  items: T[];
  nextCursor: C | null;
}

export interface PointsPage {
  number: number[];
  branch: number[];
  outcome: (string | null)[];
  score: (number | null)[];
  decidedAt: (number | null)[];
  description: string[];
  nextCursor: number | null;
  lastEventId: number;
}

export interface StudyCost {
  runs: number;
  runHours: number;
  gpuHours: number;
  mutator: { calls: number; inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; costUsd: number };
  skillRuns: { calls: number; inputTokens: number; outputTokens: number };
}

export interface EvalRatesPage {
  evals: string[];
  items: { number: number; outcome: string | null; runs: number; passes: Record<string, number> }[];
  nextCursor: number | null;
}

export interface DecisionStats {
  rule: string;
  delta: number | null;
  sigma: number | null;
  threshold: number | null;
  nCandidate: number;
  nHead: number;
  candidateMean: number | null;
  headMean: number | null;
  pValue: number | null;
  summary: string;
  confirmation?: { firstSummary: string; firstMean: number; freshRuns: number; freshMean: number };
}

export interface Run {
  id: string;
  repeatIndex: number;
  role: 'working' | 'holdout' | 'confirm' | 'reference';
  /** The stage it ran at (spec.stages, 0-based). */
  stage: number;
  attempt: number;
  status: 'queued' | 'running' | 'succeeded' | 'crashed' | 'timeout' | 'stopped' | 'lost';
  slot: string | null;
  host: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  peakMemoryMb: number | null;
  metrics: Record<string, number> | null;
  logTail: string[] | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface EvalVerdict {
  eval: string;
  pass: boolean;
  evidence: string;
  reason?: string;
}

export interface SkillOutput {
  runId: string;
  attempt: number;
  input: string;
  holdout: boolean;
  output: string;
  verdicts: EvalVerdict[];
  status: string;
  reason: string | null;
}

export interface Experiment {
  id: string;
  number: number;
  kind: string;
  status: 'pending' | 'decided';
  outcome: string | null;
  reason: string | null;
  hypothesis: string;
  variable: string | null;
  description: string;
  diff: string;
  modelUsage: { model: string; calls: number; inputTokens: number; outputTokens: number; costUsd: number } | null;
  repeats: number;
  /** The furthest stage it ran at, and each earlier stage's verdict on it (spec.stages). */
  stageReached: number;
  stageVerdicts: { name: string; promoted: boolean; summary: string }[];
  score: number | null;
  stats: DecisionStats | null;
  createdAt: string;
  decidedAt: string | null;
  runs: Run[];
  outputs?: SkillOutput[];
}

export interface LogLine {
  id: number;
  attempt: number;
  ts: string;
  stream: string;
  line: string;
}

export interface MetricPoint {
  id: number;
  attempt: number;
  name: string;
  value: number;
  step: number | null;
  kind: 'final' | 'intermediate';
  ts: string;
}

export interface QueueHolder {
  visible: boolean;
  runId: string | null;
  studyId: string | null;
  studyName: string | null;
  experimentNumber: number | null;
  startedAt: string | null;
  slot: string | null;
  host: string | null;
  gpus: number;
}

export interface QueueView {
  placement: 'slots' | 'pool' | null;
  capacity: number;
  slots: { name: string; gpus: number; holder: QueueHolder | null }[];
  free: number;
  elsewhere: QueueHolder[];
  studies: {
    id: string;
    name: string;
    status: string;
    owner: string | null;
    team: string;
    priority: number;
    running: number;
    queued: number;
    share: number;
    entitled: number;
  }[];
  otherTeams: { studies: number; running: number; queued: number } | null;
}
