// The seam every mutator plugs into: given a branch head and what was tried, propose ONE change.
// `params` (offline, seeded) and `llm` (Anthropic) implement it; the scheduler sees only this.

/** Replace the one occurrence of `search` in the file at `path` (relative to the workspace). */
export interface Edit {
  path: string;
  search: string;
  replace: string;
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
}

export interface MutationContext {
  studyId: string;
  branchIndex: number;
  head: {
    revisionId: string;
    score: number | null;
    /** Text of the head's mutable files, by workspace path. */
    files: Record<string, string>;
  };
  /** changeKeys already tried (or in flight) from this head. */
  triedFromHead: Set<string>;
  history: Array<{
    number: number;
    outcome: string | null;
    hypothesis: string;
    variable: string | null;
    description: string;
    changeKey: string | null;
    score: number | null;
    parentRevisionId: string;
  }>;
}

export interface Mutator {
  readonly kind: string;
  /** The next change to try from this head, or null when nothing is left to try from it. */
  propose(ctx: MutationContext): Promise<Proposal | null>;
}
