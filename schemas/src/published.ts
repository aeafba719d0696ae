// Which definitions are published as JSON Schema files, and under which names.
import { StudySpec } from './study-spec.js';
import { AgentMessage, ControlMessage, RunAssignment } from './messages.js';
import { SignedAgentMessage } from './message-mac.js';

export function publishedSchemas(): Record<string, unknown> {
  const plain = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as unknown;
  return {
    'study-spec.schema.json': { $schema: 'http://json-schema.org/draft-07/schema#', ...(plain(StudySpec) as object) },
    'agent-message.schema.json': { $schema: 'http://json-schema.org/draft-07/schema#', ...(plain(AgentMessage) as object) },
    'control-message.schema.json': { $schema: 'http://json-schema.org/draft-07/schema#', ...(plain(ControlMessage) as object) },
    'signed-agent-message.schema.json': { $schema: 'http://json-schema.org/draft-07/schema#', ...(plain(SignedAgentMessage) as object) },
    'run-assignment.schema.json': { $schema: 'http://json-schema.org/draft-07/schema#', ...(plain(RunAssignment) as object) },
  };
}
