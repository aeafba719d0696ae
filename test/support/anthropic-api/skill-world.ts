// A scripted world for skill studies: the target model writes release notes and obeys the rules its
// system prompt states, the judge answers judge evals from rubrics, and the mutator adds the rule for the
// most common failing eval. A good mutation really raises the pass rate, so a whole study can run here.
import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { Policy } from './policy.js';
import { skillEditor } from './skill-editor.js';
import { rubricJudge } from './skill-judge.js';
import { releaseNotesWriter } from './skill-writer.js';

export { NEUTRAL_RULES, releaseNotesFixes, skillEditor, type SkillFixes } from './skill-editor.js';
export { OPENS_WITH_SUMMARY_QUESTION, opensWithSummary, releaseNotesRubrics, rubricJudge, type Rubric, type Verdict } from './skill-judge.js';
export { releaseNotesWriter } from './skill-writer.js';

export interface SkillWorld {
  /** Requests without tools: a run of the skill. */
  writer?: Policy;
  /** Requests offering record_verdict: a judge eval. */
  judge?: Policy;
  /** Requests offering propose_change: the mutator. */
  editor?: Policy;
}

/** Routes each request by the tools it offers; the release-notes writer, judge and editor by default. */
export function skillWorldPolicy({ writer = releaseNotesWriter(), judge = rubricJudge(), editor = skillEditor() }: SkillWorld = {}): Policy {
  return (request, context) => {
    // Validation let only custom tools through.
    const tools = (request.tools ?? []).map((tool) => (tool as Tool).name);
    if (tools.includes('propose_change')) return editor(request, context);
    if (tools.includes('record_verdict')) return judge(request, context);
    if (tools.length === 0) return writer(request, context);
    throw new Error(`skillWorldPolicy: no policy for a request offering the tools ${tools.join(', ')}`);
  };
}
