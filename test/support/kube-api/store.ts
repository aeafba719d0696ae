// The objects, one global resourceVersion, and the bounded event history watches resume from (etcd's
// revision and the watch cache's window, in one place).
import { randomUUID } from 'node:crypto';
import { alreadyExists, expired, notFound } from './status.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A stored object; the shapes behind `spec` and `status` are the real API's. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; uid: string; resourceVersion: string; creationTimestamp: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- spec and status keep the real API shapes
  [key: string]: any;
}

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  resourceVersion: number;
  plural: string;
  type: WatchEventType;
  object: KubeObject;
  /** The object before a MODIFIED, so a filtered watch can turn it into ADDED or DELETED. */
  previous?: KubeObject;
}

type Listener = (event: StoredEvent) => void;

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let suffix = '';
  for (let i = 0; i < length; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return suffix;
}

export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(type).get(key(namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined): KubeObject[] {
    const all = [...this.bucket(type).values()].filter((object) => namespace === undefined || object.metadata.namespace === namespace);
    return all.map((object) => structuredClone(object));
  }

  /** `uid` lets the caller default fields that embed it (a Job's selector) before the object exists. */
  create(type: ResourceType, body: Omit<KubeObject, 'metadata'> & { metadata: ObjectMeta }, uid: string = randomUUID()): KubeObject {
    const meta = body.metadata;
    let name = meta.name;
    if (!name && meta.generateName) {
      do name = `${meta.generateName}${randomSuffix()}`;
      while (this.bucket(type).has(key(meta.namespace, name)));
    }
    if (!name) throw new Error('create needs a name; the router validates this first');
    if (this.bucket(type).has(key(meta.namespace, name))) throw alreadyExists(type, name);
    const object: KubeObject = {
      ...structuredClone(body),
      apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
      kind: type.kind,
      metadata: {
        ...structuredClone(meta),
        name,
        uid,
        resourceVersion: '',
        creationTimestamp: now(),
      },
    };
    return this.commit(type, 'ADDED', object);
  }

  /** Applies `change` to the stored object; undefined when it is gone (a kubelet racing a delete). */
  update(type: ResourceType, namespace: string | undefined, name: string, change: (object: KubeObject) => void): KubeObject | undefined {
    const current = this.bucket(type).get(key(namespace, name));
    if (!current) return undefined;
    const next = structuredClone(current);
    change(next);
    return this.commit(type, 'MODIFIED', next, current);
  }

  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const current = this.bucket(type).get(key(namespace, name));
    if (!current) return undefined;
    return this.commit(type, 'DELETED', structuredClone(current));
  }

  /**
   * Replays history after `fromVersion`, then streams. Throws 410 Expired when `fromVersion` is older than
   * the retained window, as the watch cache does after compaction.
   */
  subscribe(fromVersion: number, listener: Listener): () => void {
    const oldest = this.history[0]?.resourceVersion ?? this.revision;
    if (fromVersion < oldest - 1) throw expired(fromVersion, oldest - 1);
    for (const event of this.history) if (event.resourceVersion > fromVersion) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(type: ResourceType, eventType: WatchEventType, object: KubeObject, previous?: KubeObject): KubeObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    const bucket = this.bucket(type);
    const id = key(object.metadata.namespace, object.metadata.name);
    if (eventType === 'DELETED') bucket.delete(id);
    else bucket.set(id, object);
    const event: StoredEvent = { resourceVersion: this.revision, plural: type.plural, type: eventType, object, ...(previous ? { previous } : {}) };
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of this.listeners) listener(event);
    return structuredClone(object);
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    let bucket = this.objects.get(type.plural);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(type.plural, bucket);
    }
    return bucket;
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** RFC 3339 in whole seconds, as metav1.Time serialises. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
