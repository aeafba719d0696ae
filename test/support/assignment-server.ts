// A stand-in for the controller's one route an agent calls, GET /v1/runs/:id/assignment, over real HTTP.
// It serves one RunAssignment to its bearer token and answers like the controller otherwise: 401 for a
// missing or wrong token, 404 for another run. Used only by the agent's own tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunAssignment } from '../../schemas/src/messages.js';

export interface AssignmentServerOptions {
  assignment: RunAssignment;
  token: string;
  /** Answer the first N requests with 503, as a controller that is still starting would. */
  unavailableFirst?: number;
}

export interface AssignmentServer {
  url: string;
  /** Requests received so far, with the status each got. */
  requests: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

export async function startAssignmentServer(options: AssignmentServerOptions): Promise<AssignmentServer> {
  const requests: AssignmentServer['requests'] = [];
  let unavailable = options.unavailableFirst ?? 0;

  const answer = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) => {
    requests.push({ path: req.url ?? '', status });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const match = /^\/v1\/runs\/([^/?]+)\/assignment$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) return answer(req, res, 404, { error: 'NOT_FOUND', message: 'route not found' });
    if (unavailable > 0) {
      unavailable -= 1;
      return answer(req, res, 503, { error: 'UNAVAILABLE', message: 'the controller is starting' });
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return answer(req, res, 401, { error: 'UNAUTHORIZED', message: 'a valid bearer token is required' });
    }
    if (decodeURIComponent(match[1]!) !== options.assignment.runId) {
      return answer(req, res, 404, { error: 'NOT_FOUND', message: 'run not found' });
    }
    answer(req, res, 200, options.assignment);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A RunAssignment with test defaults; `files` maps paths to text content. */
export function makeAssignment(
  overrides: Partial<Omit<RunAssignment, 'files'>> & { files?: Record<string, string> } = {},
): RunAssignment {
  const { files = {}, ...rest } = overrides;
  return {
    runId: 'run-1',
    attempt: 1,
    revisionId: 'rev-1',
    command: 'true',
    budgetSeconds: 30,
    graceSeconds: 1,
    objectiveMetric: 'val_bpb',
    heartbeatSeconds: 1,
    env: {},
    metrics: { source: 'summary' },
    files: Object.entries(files).map(([path, content]) => ({
      path,
      mode: 0o644,
      contentBase64: Buffer.from(content).toString('base64'),
    })),
    ...rest,
  };
}
