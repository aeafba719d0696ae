// The panel's notices: the events between decisions that say what the loop is doing (a candidate given
// more runs, a gain being confirmed, a stop on its way). One wording, whether the event came from the
// scheduler in this process or from a controller's /events.

type Payload = Record<string, unknown>;

const plural = (n: unknown, word: string) => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

/** The notice for a stored event's type and payload, or null for an event the panel says nothing about. */
export function noticeOf(type: string, payload: Payload): string | null {
  switch (type) {
    case 'experiment.extended':
      return `↻ #${payload.number} promising, not yet beyond the noise: ${payload.from} → ${payload.to} runs`;
    case 'experiment.promoted':
      return `⇡ #${payload.number} promoted from ${payload.fromStage} to ${payload.toStage}: ${plural(payload.runs, 'run')} there`;
    case 'experiment.confirming':
      return `✓? #${payload.number} passed; ${plural(payload.runs, 'fresh run')} must hold the gain`;
    case 'run.early-stopped':
      return `#${payload.number} stopped early: ${payload.reason}`;
    case 'run.lost':
      return `a run was lost (${payload.reason})${payload.retried ? '; it runs again' : ''}`;
    case 'study.paused':
      return `paused: ${payload.reason}`;
    case 'study.resumed':
      return typeof payload.reason === 'string' ? `resumed: ${payload.reason}` : null;
    case 'study.stopping':
      return `stopping: ${payload.reason}`;
    case 'holdout.started':
      return `finishing: the best revision, #${payload.experimentNumber}, runs ${plural(payload.runs, 'time')} on the holdout inputs`;
    default:
      return null;
  }
}
