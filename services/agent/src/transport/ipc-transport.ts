// The embedded transport: the Node IPC channel to the controller that forked this agent.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ControlMessage, type AgentMessage } from '../../../../schemas/src/messages.js';
import { AgentConfigError, TransportClosedError } from '../errors.js';
import type { AgentTransport } from './transport.js';

const checkControl = TypeCompiler.Compile(ControlMessage);

export function createIpcTransport(warn: (problem: string) => void): AgentTransport {
  const send = process.send?.bind(process);
  if (send === undefined || !process.connected) {
    throw new AgentConfigError('--transport ipc needs an IPC channel: the agent must be started with child_process.fork');
  }
  let closing = false;
  const lostHandlers: Array<(reason: string) => void> = [];

  const onMessage = (raw: unknown) => {
    if (!checkControl.Check(raw)) {
      const first = checkControl.Errors(raw).First();
      warn(`ignored a message from the controller that is not a control message (${first ? `${first.path}: ${first.message}` : 'invalid'})`);
      return;
    }
    if (controlHandlers.length === 0) early.push(raw);
    for (const handler of controlHandlers) handler(raw);
  };
  const controlHandlers: Array<(message: ControlMessage) => void> = [];
  // A stop can arrive while the assignment is still being fetched; it is kept for the run's handler.
  const early: ControlMessage[] = [];
  const onDisconnect = () => {
    if (closing) return;
    for (const handler of lostHandlers) handler('the IPC channel to the controller closed');
  };
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);

  return {
    send(message: AgentMessage) {
      return new Promise<void>((resolve, reject) => {
        if (!process.connected) return reject(new TransportClosedError());
        try {
          send(message, undefined, {}, (error: Error | null) => (error ? reject(new TransportClosedError(error.message)) : resolve()));
        } catch (error) {
          reject(new TransportClosedError((error as Error).message));
        }
      });
    },
    onControl(handler) {
      controlHandlers.push(handler);
      for (const message of early.splice(0)) handler(message);
    },
    onLost(handler) {
      lostHandlers.push(handler);
    },
    async close() {
      closing = true;
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      if (process.connected) process.disconnect();
    },
  };
}
