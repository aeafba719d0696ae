// The target model of a skill study, scripted: it writes release notes from a list of changes, the way
// a model without guidance does (numbered lists, a chatty preamble and sign-off, padding on every line,
// breaking changes last, no summary), and obeys each rule it finds stated in the system prompt.
import type { Policy } from './policy.js';
import { lastUserText, systemText } from './prompt-reading.js';

type Category = 'breaking' | 'feature' | 'improvement' | 'fix' | 'docs' | 'internal';

interface Change {
  category: Category;
  scope: string | undefined;
  text: string;
}

/** The rules the writer knows, each switched on by any of a few natural phrasings in the system prompt. */
const RULES = {
  noNumberedLists: [
    /\b(?:do not|don't|never|avoid|no)\s+(?:use\s+)?numbered\s+lists\b/i,
    /\bbullet(?:\s+point)?s?\b[^.\n]{0,20}\b(?:not|never|instead of|rather than)\s+(?:a\s+)?numbered\s+lists?\b/i,
  ],
  concise: [
    /\b(?:under|below|at most|no more than|fewer than|less than|a maximum of|maximum of|up to|within)\s+\d+\s+words\b/i,
    /\bkeep (?:it|them|the (?:release )?notes)\s+(?:short|brief|concise)\b/i,
  ],
  breakingFirst: [
    /\bbreaking changes\b[^.\n]{0,60}\b(?:first|at the (?:very )?top|before (?:any|all|every|the) other)/i,
    /\b(?:start|begin|lead|open)\s+with\s+(?:a\s+|the\s+)?[`#\s]*breaking changes\b/i,
  ],
  summaryFirst: [
    /\b(?:open|start|begin|lead)s?\s+with\s+(?:a\s+|one\s+)?(?:single\s+|short\s+|brief\s+)?(?:one-sentence\s+)?(?:sentence|summary)\b/i,
    /\bone-sentence summary\b/i,
    /\bfirst (?:line|sentence)\b[^.\n]{0,40}\bsummar/i,
  ],
} satisfies Record<string, RegExp[]>;

type Rules = Record<keyof typeof RULES, boolean>;

const SECTIONS: { category: Category; heading: string; padding: string }[] = [
  { category: 'feature', heading: 'New features', padding: 'This gives you more flexibility in your day-to-day work, and you can start using it right away after upgrading.' },
  { category: 'improvement', heading: 'Improvements', padding: 'You should notice the difference without changing anything on your side.' },
  { category: 'fix', heading: 'Bug fixes', padding: 'If you ran into this problem before, it should no longer happen once you upgrade to this version.' },
  { category: 'docs', heading: 'Documentation', padding: 'Check out the updated documentation for all the details.' },
  { category: 'internal', heading: 'Other changes', padding: 'This is an internal change and should not affect how you use the product.' },
  { category: 'breaking', heading: 'Breaking changes', padding: 'Please review this change carefully before upgrading, because it may require changes to your setup or code.' },
];

const GROUPED = "I've grouped the changes by type so that it's easy to find what matters to you.";
const PREAMBLE = `Here are the release notes for this release! ${GROUPED}`;
const SIGN_OFF = "Let me know if you'd like me to adjust the tone, add more detail, or format these notes differently!";

/** Release notes for the change list in the user message, shaped by the rules the system prompt states. Deterministic. */
export function releaseNotesWriter(): Policy {
  return (request) => {
    const changes = parseChanges(lastUserText(request));
    if (changes.length === 0) return { text: 'I could not find a list of changes to write release notes for.' };
    return { text: writeNotes(changes, statedRules(systemText(request))) };
  };
}

function statedRules(system: string): Rules {
  return Object.fromEntries(Object.entries(RULES).map(([rule, phrasings]) => [rule, phrasings.some((phrasing) => phrasing.test(system))])) as Rules;
}

function parseChanges(text: string): Change[] {
  const changes: Change[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*[-*]\s+([A-Za-z]+)(?:\(([^)]*)\))?(!)?:\s*(.+?)\s*$/.exec(line);
    if (!match) continue;
    const [, type, scope, bang, description] = match;
    changes.push({ category: bang ? 'breaking' : categoryOf(type!), scope: scope || undefined, text: description! });
  }
  return changes;
}

function categoryOf(type: string): Category {
  switch (type.toLowerCase()) {
    case 'breaking':
      return 'breaking';
    case 'feat':
      return 'feature';
    case 'perf':
      return 'improvement';
    case 'fix':
      return 'fix';
    case 'docs':
      return 'docs';
    default:
      return 'internal';
  }
}

function writeNotes(changes: Change[], rules: Rules): string {
  const paragraphs: string[] = [];
  if (rules.summaryFirst) paragraphs.push(summary(changes));
  if (!rules.concise) paragraphs.push(rules.summaryFirst ? GROUPED : PREAMBLE);

  const sections = rules.breakingFirst ? [SECTIONS.at(-1)!, ...SECTIONS.slice(0, -1)] : SECTIONS;
  for (const { category, heading, padding } of sections) {
    // Concise notes leave out what users never see.
    if (rules.concise && category === 'internal') continue;
    const items = changes.filter((change) => change.category === category);
    if (items.length === 0) continue;
    const lines = items.map((change, i) => {
      const marker = rules.noNumberedLists ? '-' : `${i + 1}.`;
      const label = change.scope ? `**${change.scope}:** ` : '';
      const text = change.text[0]!.toUpperCase() + change.text.slice(1);
      return `${marker} ${label}${text}${rules.concise ? '' : `. ${padding}`}`;
    });
    paragraphs.push(`## ${heading}\n\n${lines.join('\n')}`);
  }
  if (!rules.concise) paragraphs.push(SIGN_OFF);
  return paragraphs.join('\n\n');
}

function summary(changes: Change[]): string {
  const count = (category: Category, one: string, many: string) => {
    const n = changes.filter((change) => change.category === category).length;
    return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
  };
  const parts = [...count('feature', 'new feature', 'new features'), ...count('improvement', 'improvement', 'improvements'), ...count('fix', 'fix', 'fixes')];
  const brings = parts.length === 0 ? 'This release updates the documentation and internals' : `This release brings ${list(parts)}`;
  const breaking = changes.filter((change) => change.category === 'breaking').length;
  if (breaking === 0) return `${brings}, with nothing to change on your side when you upgrade.`;
  return `${brings}, and ${breaking === 1 ? '1 breaking change needs' : `${breaking} breaking changes need`} your attention before you upgrade.`;
}

function list(parts: string[]): string {
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
