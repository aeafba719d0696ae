// The panel's snapshot of a study run by a controller elsewhere (`status --watch`), polled through its
// API. Each poll asks only for what can have changed: experiments from the first undecided one on
// (decisions are final), the runs of the undecided ones, and the events after the last one seen.
import type { RunRow } from '../../../controller/src/store/schema.js';
import type { ApiClient } from '../api-client.js';
import { noticeOf } from '../view/notice-text.js';
import { experimentLineOf, snapshotOf, toMillis, type ExperimentLine, type RunInFlight, type StudyRecord, type StudySnapshot } from '../view/study-snapshot.js';

const PAGE = 500;
const EVENT_PAGE = 1000;
const NOTICES_KEPT = 5;
/** A study with more undecided experiments than this shows the runs of the first ones only. */
const MOST_PENDING_LOOKED_AT = 16;

type RunItem = Pick<RunRow, 'id' | 'status' | 'repeatIndex' | 'role' | 'attempt' | 'slot'> & { startedAt: string | null };
interface EventItem {
  id: number;
  type: string;
  payload: Record<string, unknown>;
}

/** Every experiment numbered after `after`, page by page. */
export async function listExperimentsAfter(client: ApiClient, studyId: string, after: number): Promise<ExperimentLine[]> {
  const items: ExperimentLine[] = [];
  let cursor: number | null = after;
  while (cursor !== null) {
    const page: { items: ExperimentLine[]; nextCursor: number | null } = await client.json('GET', `/v1/studies/${studyId}/experiments?limit=${PAGE}&cursor=${cursor}`);
    items.push(...page.items.map(experimentLineOf));
    cursor = page.nextCursor;
  }
  return items;
}

export class ApiStudyPoller {
  private readonly experiments = new Map<number, ExperimentLine>();
  private readonly notices: string[] = [];
  private lastEventId = 0;
  private polled = false;

  /** `onNotice` hears the notices of events after the first poll (the history before it is not news). */
  constructor(
    private readonly client: ApiClient,
    private readonly studyId: string,
    private readonly onNotice: (text: string) => void = () => {},
  ) {}

  async poll(): Promise<StudySnapshot> {
    const study = await this.client.json<StudyRecord>('GET', `/v1/studies/${this.studyId}`);
    for (const e of await listExperimentsAfter(this.client, this.studyId, this.decidedThrough())) this.experiments.set(e.number, e);
    const [runsInFlight] = await Promise.all([this.runsInFlight(), this.readEvents()]);
    this.polled = true;
    return snapshotOf(study, [...this.experiments.values()], { runsInFlight, slots: null, notices: [...this.notices] });
  }

  /** The highest number up to which every experiment is decided: nothing there changes any more. */
  private decidedThrough(): number {
    let n = -1;
    while (this.experiments.get(n + 1)?.status === 'decided') n += 1;
    return n;
  }

  private async runsInFlight(): Promise<RunInFlight[]> {
    const pending = [...this.experiments.values()].filter((e) => e.status === 'pending').sort((a, b) => a.number - b.number).slice(0, MOST_PENDING_LOOKED_AT);
    const details = await Promise.all(
      pending.map((e) => this.client.json<{ number: number; runs: RunItem[] }>('GET', `/v1/studies/${this.studyId}/experiments/${e.number}`)),
    );
    return details.flatMap((detail) =>
      detail.runs
        .filter((run) => run.status === 'running')
        .map((run) => ({ runId: run.id, experimentNumber: detail.number, repeatIndex: run.repeatIndex, role: run.role, attempt: run.attempt, slot: run.slot, startedAt: toMillis(run.startedAt) })),
    );
  }

  private async readEvents(): Promise<void> {
    for (;;) {
      const page = await this.client.json<{ items: EventItem[]; nextCursor: number | null }>('GET', `/v1/studies/${this.studyId}/events?after=${this.lastEventId}&limit=${EVENT_PAGE}`);
      for (const event of page.items) {
        this.lastEventId = event.id;
        const notice = noticeOf(event.type, event.payload);
        if (notice === null) continue;
        this.notices.push(notice);
        if (this.polled) this.onNotice(notice);
      }
      this.notices.splice(0, Math.max(0, this.notices.length - NOTICES_KEPT));
      if (page.nextCursor === null) return;
    }
  }
}
