// What can end a skill run early, gathered into one AbortSignal for its model calls and predicates: a
// stop or early-stop from the controller, the agent's stop signal (SIGTERM), the budget's deadline, and
// the controller going away (then nothing is reported). The first stop or timeout names the outcome.
import type { RunAssignment } from '../../../../schemas/src/messages.js';
import type { AgentTransport } from '../transport/transport.js';

export interface Interruption {
  status: 'stopped' | 'timeout';
  reason: string;
}

export interface RunInterrupts {
  signal: AbortSignal;
  interruption(): Interruption | undefined;
  /** Set when the controller is gone: the run must end without a result. */
  lostReason(): string | undefined;
  /** Times the run out after `ms` (budget plus grace). */
  startDeadline(ms: number, reason: string): void;
  dispose(): void;
}

export interface WatchInput {
  transport: AgentTransport;
  run: Pick<RunAssignment, 'runId' | 'attempt'>;
  /** The agent's own stop (SIGTERM); its reason is the result's reason. */
  signal?: AbortSignal;
  /** The agent gives up on reporting. */
  abandon?: AbortSignal;
  warn: (problem: string) => void;
}

export function watchInterrupts(input: WatchInput): RunInterrupts {
  const controller = new AbortController();
  let interruption: Interruption | undefined;
  let lost: string | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const interrupt = (status: Interruption['status'], reason: string) => {
    interruption ??= { status, reason };
    controller.abort(reason);
  };
  const giveUp = (reason: string) => {
    lost ??= reason;
    controller.abort(reason);
  };

  input.transport.onControl((message) => {
    if (message.runId !== input.run.runId || message.attempt !== input.run.attempt) {
      input.warn(`ignored a control message for run ${message.runId} attempt ${message.attempt}`);
      return;
    }
    if (message.action === 'early-stop') interrupt('stopped', `early-stopped${message.reason ? `: ${message.reason}` : ''}`);
    else interrupt('stopped', message.reason ? `stopped: ${message.reason}` : 'stopped on request');
  });
  input.transport.onLost(giveUp);
  whenAborted(input.abandon, giveUp);
  whenAborted(input.signal, (reason) => interrupt('stopped', reason));

  return {
    signal: controller.signal,
    interruption: () => interruption,
    lostReason: () => lost,
    startDeadline(ms, reason) {
      deadline = setTimeout(() => interrupt('timeout', reason), ms);
    },
    dispose() {
      clearTimeout(deadline);
    },
  };
}

function whenAborted(signal: AbortSignal | undefined, then: (reason: string) => void): void {
  if (signal === undefined) return;
  const fire = () => then(String(signal.reason));
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
}
