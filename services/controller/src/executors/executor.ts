// The seam between the scheduler and where runs execute: child processes here, Kubernetes Jobs later.

export interface Slot {
  /** Stable name, e.g. `gpu:0` or `cpu:1`. */
  name: string;
  /** Environment that pins a run to this slot (CUDA_VISIBLE_DEVICES for a GPU slot). */
  env: Record<string, string>;
}

export interface RunLaunch {
  runId: string;
  attempt: number;
  /** The run-scoped bearer token; it reaches the agent through its environment, never its arguments. */
  token: string;
  slot: Slot;
  controllerUrl: string;
}

export interface AgentGone {
  exitCode: number | null;
  signal: string | null;
  /** The agent's own last diagnostic lines, which say why it ended when it could not report. */
  lastOutput: string[];
}

export interface Executor {
  readonly kind: string;
  slots(): Slot[];
  /** Starts an agent for the run. `onGone` fires once the agent process is gone, whatever the reason. */
  launch(run: RunLaunch, onGone: (detail: AgentGone) => void): void;
  /** Hard-kills every agent this executor started (used at shutdown, after a graceful stop had its chance). */
  killAll(): Promise<void>;
  /** Ends the agent of a run declared lost, if this executor started it (a hung agent must free its slot). */
  abandon(runId: string): void;
}
