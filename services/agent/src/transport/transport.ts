// How an agent talks to its controller. Embedded mode: the child-process IPC channel (ipc-transport.ts).
// Distributed mode (later): NATS, behind this same interface.
import type { AgentMessage, ControlMessage } from '../../../../schemas/src/messages.js';

export interface AgentTransport {
  /** Resolves once the message has left the agent; rejects with TransportClosedError when it cannot. */
  send(message: AgentMessage): Promise<void>;
  /** Control messages from the controller, already checked against the ControlMessage schema. */
  onControl(handler: (message: ControlMessage) => void): void;
  /**
   * The controller is gone for good (its process died, the channel closed): nothing sent will arrive.
   * The agent must then kill its experiment at once and exit, so nothing is left running unseen.
   */
  onLost(handler: (reason: string) => void): void;
  close(): Promise<void>;
}
