// The seam every mutator plugs into: given a branch head and what was tried, propose ONE change.
// `params` (offline, seeded) and `llm` (Anthropic) implement it; the scheduler sees only this.
import type { ModelUsage } from '../store/schema.js';

/** Replace the one occurrence of `search` in the file at `path` (relative to the workspace). */
export interface Edit {
  path: string;
  search: string;
  replace: string;
}

/** What one decided experiment's runs showed: a failure's last output, and the curves the runs printed. */
export interface RunEvidence {
  experimentNumber: number;
  outcome: string | null;
  reason: string | null;
  /** The last output lines of a failed run, or of the guard it failed (`guard`). */
  logTail: string[];
  /** Set when the experiment failed a command guard: `logTail` is that guard's output, not the run's. */
  guard?: string;
  /** Intermediate metrics (name=value lines during the run), thinned to a handful of points each. */
  curves: Record<string, { step: number | null; value: number }[]>;
}

export interface Proposal {
  /** Why this change might help, in a sentence for the changelog. */
  hypothesis: string;
  /** The one variable the change touches, so results stay attributable. */
  variable: string;
  description: string;
  /** Identifies the change so it is never tried twice from the same head. */
  changeKey: string;
  edits: Edit[];
  /** Set when the mutator gave up on getting a valid change: the experiment is recorded as invalid with it. */
  invalid?: string;
  /** What a model-backed mutator spent on this proposal. */
  usage?: ModelUsage;
}

/** What the head's outputs showed, for a skill study: which evals fail, where, and how. */
export interface SkillEvidence {
  /** Each eval and what it checks. */
  evals: { name: string; kind: string; checks: string }[];
  /** Outputs of the head's working runs that were scored (failed runs count as all fails). */
  outputs: number;
  /** Failures per eval on those outputs, most failed first. */
  failuresByEval: { name: string; failed: number }[];
  /** Pass counts per working input. */
  byInput: { name: string; passes: number; trials: number }[];
  /** A few failing outputs, those failing the most common failing eval first, each with every eval it failed. */
  examples: { input: string; output: string; failed: { eval: string; evidence: string; reason: string | null }[] }[];
}

export interface MutationContext {
  studyId: string;
  /** training when absent. */
  flavor?: 'training' | 'skill';
  /** Set for skill studies once the head has been scored. */
  skill?: SkillEvidence;
  branchIndex: number;
  head: {
    revisionId: string;
    score: number | null;
    /** Text of the head's mutable files, by workspace path. */
    files: Record<string, string>;
  };
  /** changeKeys already tried (or in flight) from this head. */
  triedFromHead: Set<string>;
  /**
   * changeKeys tried from this head whose discard was within the noise (decision.maxRepeats), each with the
   * p-value of its runs so far (lower: more likely a real gain). Not in triedFromHead, since they may be
   * proposed again and their runs pool; best left until nothing new is left, the most promising first.
   */
  retryFromHead?: Map<string, number>;
  objective: { metric: string; direction: 'minimize' | 'maximize' };
  mutablePaths: string[];
  /** The study's own instructions (`workspace.instructions`, e.g. program.md). */
  instructions: string | null;
  /** The study's guards, each in words (`tests: \`npm test\` must exit 0 within 60 s`): a change that fails one is not kept. */
  guards?: string[];
  /** Runs of recent experiments, for mutators that read them (`wantsEvidence`). */
  evidence: RunEvidence[];
  history: Array<{
    number: number;
    outcome: string | null;
    hypothesis: string;
    variable: string | null;
    description: string;
    changeKey: string | null;
    score: number | null;
    parentRevisionId: string;
    /** The decision's statistics, or why it failed. */
    reason: string | null;
  }>;
}

export interface Mutator {
  readonly kind: string;
  /** Reads `evidence` (run logs and curves); the context is cheaper to build without it. */
  readonly wantsEvidence?: boolean;
  /** The next change to try from this head, or null when nothing is left to try from it. */
  propose(ctx: MutationContext): Promise<Proposal | null>;
}
