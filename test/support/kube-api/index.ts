export { startKubeApiServer, FAULT_LABEL, type KubeApiServer, type KubeApiServerOptions, type FaultInjection } from './server.js';
export type { Fault, RewriteCommand, RewriteContext, RewrittenCommand } from './kubelet.js';
export type { NodeControl, NodeShape } from './nodes.js';
