export { startAnthropicApiServer, type AnthropicApiServer, type AnthropicApiServerOptions, type Fault, type FaultInjection, type RecordedRequest } from './server.js';
export { changeOneConstantPolicy, proposeEdit, type Edit, type Policy, type PolicyAnswer, type PolicyContext, type ProposalExtra, type ProposalInput, type TextAnswer, type ToolUseAnswer } from './policy.js';
export { lastAnswerRejected, lastUserText, rejectedToolUses, requestText, shownFiles, systemText, type ShownFile } from './prompt-reading.js';
export {
  NEUTRAL_RULES,
  OPENS_WITH_SUMMARY_QUESTION,
  opensWithSummary,
  releaseNotesFixes,
  releaseNotesRubrics,
  releaseNotesWriter,
  rubricJudge,
  skillEditor,
  skillWorldPolicy,
  type Rubric,
  type SkillFixes,
  type SkillWorld,
  type Verdict,
} from './skill-world.js';
export { findNumericConstants, scaledLiteral, type NumericConstant } from './numeric-constants.js';
export { estimateTokens } from './prompt-cache.js';
export type { MessagesRequest } from './validate.js';
