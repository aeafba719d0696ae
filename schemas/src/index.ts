// The contract between the controller, agents and clients: curated exports only.
export * from './study-spec.js';
export * from './skill-spec.js';
export * from './messages.js';
export { validateWithDefaults, formatFieldErrors, toDottedPath, type FieldError, type Validated } from './validate.js';
export { SignedAgentMessage, signAgentMessage, signAgentMessageWithHash, verifyAgentMessage, canonicalJson, sha256Hex } from './message-mac.js';
export {
  natsSubjects,
  resultMessageId,
  isSafeSubjectToken,
  InvalidSubjectTokenError,
  RESULTS_STREAM,
  DEFAULT_SUBJECT_PREFIX,
  CORE_MESSAGE_TYPES,
  type Subjects,
  type CoreMessageType,
} from './subjects.js';
