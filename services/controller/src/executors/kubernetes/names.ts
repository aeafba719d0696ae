// Names and label values a Kubernetes API server accepts, derived from our ids.

/** RFC 1123 label: what a Job name must be (≤ 63 so the pods' `job-name` label stays valid). */
const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function isDns1123Label(name: string): boolean {
  return DNS1123_LABEL.test(name);
}

export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/**
 * `ar-run-<first 8 of runId>-<attempt>`. Run ids are random UUIDs, so 8 hex digits rarely collide, and
 * the full id is in the `autoresearch.dev/run` label, which is what the executor selects Jobs by.
 */
export function runJobName(runId: string, attempt: number): string {
  const short = runId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8) || 'x';
  return `ar-run-${short}-${attempt}`;
}

export function runTokenSecretName(runId: string, attempt: number): string {
  return `${runJobName(runId, attempt)}-token`;
}

/**
 * A label value Kubernetes accepts: at most 63 characters of `[A-Za-z0-9-_.]`, starting and ending
 * alphanumeric. Anything else becomes `-`; the value is cut, never rejected, since labels only help to select.
 */
export function toLabelValue(raw: string | number): string {
  return String(raw)
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}
