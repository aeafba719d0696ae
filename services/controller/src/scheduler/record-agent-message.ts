// Records what an agent reports. Results are ingested idempotently by (run, attempt): a repeated or
// stale result changes nothing, so a transport may deliver it more than once.
import type { AgentMessage } from '../../../../schemas/src/messages.js';
import type { Store } from '../store/store.js';

/** Returns the run's ending when this message finished a run, else null. */
export async function recordAgentMessage(
  store: Store,
  message: AgentMessage,
): Promise<{ runId: string; attempt: number; studyId: string; status: string; reason: string | undefined } | null> {
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
      if (!applied || !run) return null;
      await store.appendEvent(run.studyId, 'run.finished', {
        runId: run.id, attempt: message.attempt, status: message.status, reason: message.reason ?? null,
      });
      return { runId: message.runId, attempt: message.attempt, studyId: run.studyId, status: message.status, reason: message.reason };
    }
  }
}
