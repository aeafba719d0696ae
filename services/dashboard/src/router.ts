// Pages are addressed by the URL's hash, so / is the only HTML route the controller serves.

export type Route =
  | { page: 'studies' }
  | { page: 'study'; studyId: string }
  | { page: 'experiment'; studyId: string; number: number }
  | { page: 'queue' }
  | { page: 'not-found'; hash: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'studies')) return { page: 'studies' };
  if (parts.length === 1 && parts[0] === 'queue') return { page: 'queue' };
  if (parts[0] === 'studies' && parts.length === 2) return { page: 'study', studyId: parts[1]! };
  if (parts[0] === 'studies' && parts.length === 4 && parts[2] === 'experiments' && /^\d+$/.test(parts[3]!)) {
    return { page: 'experiment', studyId: parts[1]!, number: Number(parts[3]) };
  }
  return { page: 'not-found', hash };
}

export const studyHref = (studyId: string) => `#/studies/${encodeURIComponent(studyId)}`;
export const experimentHref = (studyId: string, number: number) => `#/studies/${encodeURIComponent(studyId)}/experiments/${number}`;
