// A real `autoresearch serve` in a child process, and the few API calls the distributed tests make.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startCli, type CliResult } from './cli.js';
import type { ChildProcess } from 'node:child_process';

export interface RunningServe {
  url: string;
  child: ChildProcess;
  done: Promise<CliResult>;
  output: () => string;
}

export async function startServe(args: string[], env: Record<string, string | undefined>): Promise<RunningServe> {
  const { child, done } = startCli(['serve', '--port', '0', ...args], env);
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${buffered}`)), 60_000);
    const poll = setInterval(() => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(buffered);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]!);
      }
    }, 50);
    void done.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`serve exited:\n${buffered}`));
    });
  });
  return { url, child, done, output: () => buffered };
}

export async function api<T>(url: string, token: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as T };
}

/** The body of POST /v1/studies for a study folder, with extra stop conditions. */
export async function studyUpload(dir: string, stop: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const spec = parse(await readFile(join(dir, 'study.yaml'), 'utf8'));
  spec.stop = { ...(spec.stop ?? {}), ...stop };
  return {
    ...extra,
    spec,
    files: [{ path: 'train.js', contentBase64: (await readFile(join(dir, 'train.js'))).toString('base64') }],
  };
}

export async function waitForStatus(url: string, token: string | undefined, studyId: string, status: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const response = await api<{ status: string }>(url, token, 'GET', `/v1/studies/${studyId}`).catch(() => null);
    last = response?.body.status ?? last;
    if (last === status) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`study ${studyId} is ${last}, not ${status}, after ${timeoutMs} ms`);
}
