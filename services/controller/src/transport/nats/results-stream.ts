// The JetStream stream and consumer that carry results, created at start (idempotently) by whichever
// controller gets there first. A work queue: a result is removed once acked, and the one durable pull
// consumer is shared, so with several controllers each result goes to exactly one of them.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { RESULTS_STREAM, type Subjects } from '../../../../../schemas/src/subjects.js';

export function resultsStreamConfig(subjects: Subjects): StreamConfig {
  return {
    name: subjects.resultsStream,
    subjects: [subjects.allResults],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: 1,
    // Results wait here for a controller however long it is down; dedupe covers an agent's retries.
    max_age: 0,
    duplicate_window: nanos(RESULTS_STREAM.duplicateWindowMs),
  } as StreamConfig;
}

export function resultsConsumerConfig(maxAckPending: number): Partial<ConsumerConfig> {
  return {
    durable_name: RESULTS_STREAM.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    // Never give up on a result: a failing commit is retried (with the controller's nak delay) until it lands.
    max_deliver: -1,
    ack_wait: nanos(RESULTS_STREAM.ackWaitMs),
    max_ack_pending: maxAckPending,
  };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** Creates what is missing; leaves an existing stream or consumer as it is (an operator may have tuned it). */
export async function ensureResultsStream(jsm: JetStreamManager, subjects: Subjects, maxAckPending: number): Promise<void> {
  const stream = resultsStreamConfig(subjects);
  try {
    await jsm.streams.info(stream.name);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    // Two controllers starting together both get here; adding an identical stream twice is not an error.
    await jsm.streams.add(stream);
  }
  try {
    await jsm.consumers.info(stream.name, RESULTS_STREAM.durable);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(stream.name, resultsConsumerConfig(maxAckPending));
  }
}
