// The resource types this server serves, with the create-time validation the real one does for them.
import { invalid, type StatusCause } from './status.js';
import type { KubeObject, ObjectMeta, ResourceType } from './store.js';

export const JOBS: ResourceType = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true };
export const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const EVENTS: ResourceType = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const NODES: ResourceType = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };

export const RESOURCES = [JOBS, PODS, EVENTS, SECRETS, NODES];

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Body = Omit<KubeObject, 'metadata'> & { metadata: ObjectMeta };

/** Throws 422 Invalid with one cause per problem, the way apiserver validation reports them. */
export function validateCreate(type: ResourceType, body: Body): void {
  const causes: StatusCause[] = [];
  const meta = body.metadata;
  if (!meta.name && !meta.generateName) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  } else if (meta.name && (!SUBDOMAIN.test(meta.name) || meta.name.length > 253)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    });
  }
  if (type === JOBS) {
    // The job name becomes a pod label value, so it is held to 63 characters.
    if (meta.name && meta.name.length > 63) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${meta.name}": must be no more than 63 characters`, field: 'metadata.name' });
    }
    checkPodSpec(body.spec?.template?.spec, 'spec.template.spec', causes, ['Never', 'OnFailure']);
  }
  // A bare pod's restartPolicy defaults to Always; a Job's template has no default.
  if (type === PODS) checkPodSpec({ restartPolicy: 'Always', ...body.spec }, 'spec', causes, ['Always', 'Never', 'OnFailure']);
  if (type === EVENTS && !body.involvedObject) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'involvedObject' });
  }
  if (causes.length > 0) throw invalid(type.kind, type.group, meta.name ?? meta.generateName ?? '', causes);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an unvalidated request body
function checkPodSpec(spec: any, path: string, causes: StatusCause[], restartPolicies: string[]): void {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers` });
    return;
  }
  spec.containers.forEach((container: { name?: unknown; image?: unknown }, index: number) => {
    if (typeof container.name !== 'string' || container.name === '') {
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers[${index}].name` });
    }
    if (typeof container.image !== 'string' || container.image === '') {
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers[${index}].image` });
    }
  });
  const policy = spec.restartPolicy;
  if (policy === undefined || !restartPolicies.includes(policy)) {
    const valid = restartPolicies.map((value) => `"${value}"`).join(', ');
    causes.push(
      policy === undefined
        ? { reason: 'FieldValueRequired', message: `Required value: valid values: ${valid}`, field: `${path}.restartPolicy` }
        : { reason: 'FieldValueNotSupported', message: `Unsupported value: "${policy}": supported values: ${valid}`, field: `${path}.restartPolicy` },
    );
  }
}
