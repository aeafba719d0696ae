// What the rest of autoresearch may use from the agent. The controller validates a spec's metrics regex
// with compileMetricRegex, the same code the agent runs it with.
export { runAgent, EXIT_DELIVERED, EXIT_NOT_DELIVERED, EXIT_USAGE } from './main.js';
export type { AgentTransport } from './transport/transport.js';
export { compileMetricRegex, parseRegex, type MetricRegex } from './metrics/parse-regex.js';
export { parseSummary } from './metrics/parse-summary.js';
export { parseKeyValue, parseKeyValueLine, type KeyValuePair } from './metrics/parse-keyvalue.js';
export { parseJsonMetrics, readJsonMetricsFile } from './metrics/read-json-file.js';
export { parseMetricNumber } from './metrics/metric-number.js';
export type { MetricValues } from './metrics/metric-reader.js';
export { AgentError, AgentConfigError, AssignmentFetchError, MetricsError, UnsafePathError, InvalidAssignmentError, TransportClosedError } from './errors.js';
