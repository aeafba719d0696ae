// The controller's side of the agent transport. Embedded mode: the child-process channel. Distributed
// mode (later): NATS, behind this same interface.
import type { AgentMessage, ControlMessage } from '../../../../schemas/src/messages.js';

export type AgentMessageHandler = (message: AgentMessage) => Promise<void>;

export interface ControllerTransport {
  readonly kind: string;
  /** The handler resolves once the message is durably recorded; results must only be acknowledged then. */
  onMessage(handler: AgentMessageHandler): void;
  sendControl(message: ControlMessage): Promise<void>;
  close(): Promise<void>;
}
