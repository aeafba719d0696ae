// Stands the real agent in for the agent image: the kube-api kubelet runs `autoresearch agent …` from a
// run Job as this checkout's agent under tsx, with the pod's scratch directory as its work root.
import { fileURLToPath } from 'node:url';
import type { RewriteCommand } from './kube-api/index.js';

const TSX_LOADER = import.meta.resolve('tsx');
const AGENT_ENTRY = fileURLToPath(new URL('../../services/agent/src/main.ts', import.meta.url));

export const runRealAgent: RewriteCommand = (container, context) => {
  const command = container.command ?? [];
  if (command[0] !== 'autoresearch' || command[1] !== 'agent') return { command };
  const args = command.slice(2);
  const workRoot = args.indexOf('--work-root');
  if (workRoot >= 0) args[workRoot + 1] = context.workDir;
  return { command: [process.execPath, '--import', TSX_LOADER, AGENT_ENTRY, ...args] };
};
