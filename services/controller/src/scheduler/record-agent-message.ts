// Records what an agent reports. Results are ingested idempotently by (run, attempt): a repeated or
// stale result changes nothing, so a transport may deliver it more than once.
import type { Logger } from 'pino';
import type { AgentMessage } from '../../../../schemas/src/messages.js';
import { runLogger } from '../log-context.js';
import type { Store } from '../store/store.js';

export interface RecordedEnd {
  runId: string;
  attempt: number;
  studyId: string;
  experimentId: string;
  status: string;
  reason: string | undefined;
  /** When the agent saw its run end (epoch ms): now minus this is the ingest lag. */
  finishedAt: number;
}

/** Returns the run's ending when this message finished a run, else null. */
export async function recordAgentMessage(store: Store, message: AgentMessage, log: Logger): Promise<RecordedEnd | null> {
  switch (message.type) {
    case 'log':
      await store.appendLogs(message.runId, message.attempt, message.lines);
      return null;
    case 'progress':
      await store.appendMetricPoints(message.runId, message.attempt, message.points, 'intermediate');
      return null;
    case 'heartbeat':
    case 'started':
      await store.touchHeartbeat(message.runId, message.attempt);
      return null;
    case 'result': {
      const { applied, run } = await store.ingestResult(message);
      if (!applied || !run) {
        if (log.isLevelEnabled('debug')) {
          const known = await store.getRun(message.runId);
          (known ? runLogger(log, { ...known, attempt: message.attempt }) : log.child({ runId: message.runId }))
            .debug({ currentAttempt: known?.attempt, currentStatus: known?.status }, 'result ignored: redelivered, or from an attempt no longer running');
        }
        return null;
      }
      await store.appendEvent(run.studyId, 'run.finished', {
        runId: run.id, attempt: message.attempt, status: message.status, reason: message.reason ?? null,
      });
      runLogger(log, run).debug({ status: message.status, lagMs: Date.now() - message.finishedAt }, 'result ingested');
      return {
        runId: message.runId, attempt: message.attempt, studyId: run.studyId, experimentId: run.experimentId,
        status: message.status, reason: message.reason, finishedAt: message.finishedAt,
      };
    }
  }
}
