// core/v1 Events, recorded the way the scheduler, kubelet and job controller record them.
import { randomBytes } from 'node:crypto';
import { EVENTS } from './resources.js';
import { now, type KubeObject, type ObjectStore } from './store.js';

export type EventSource = 'default-scheduler' | 'kubelet' | 'job-controller' | 'node-controller';

export function recordEvent(
  store: ObjectStore,
  about: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: EventSource,
): void {
  const time = now();
  store.create(EVENTS, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: about.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: about.apiVersion,
      kind: about.kind,
      name: about.metadata.name,
      namespace: about.metadata.namespace,
      uid: about.metadata.uid,
      resourceVersion: about.metadata.resourceVersion,
    },
    reason,
    message,
    type,
    source: { component: source },
    reportingComponent: source,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  });
}
