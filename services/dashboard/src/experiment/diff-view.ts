// The experiment's change as a side-numbered diff, each line highlighted in its file's language by
// highlight.js (whose output is escaped HTML: the code is shown, never run).
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import ini from 'highlight.js/lib/languages/ini';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import yaml from 'highlight.js/lib/languages/yaml';
import { h } from '../dom.js';
import { languageOf, parseUnifiedDiff, type DiffLine } from './parse-diff.js';

for (const [name, language] of Object.entries({ bash, ini, javascript, json, markdown, python, typescript, yaml })) hljs.registerLanguage(name, language);

const SIGN = { add: '+', del: '-', context: ' ', hunk: '', note: '' } as const;

export function renderDiff(diff: string): HTMLElement {
  if (diff.trim() === '') return h('p', { class: 'muted' }, 'No change: this experiment ran its parent revision as it was.');
  const files = parseUnifiedDiff(diff);
  // Not a unified diff (nothing this controller writes): shown as it is.
  if (files.length === 0) return h('pre', { class: 'diff raw' }, diff);
  return h('div', { class: 'diff' }, files.map((file) => {
    const language = languageOf(file.path);
    return h('section', { class: 'diff-file' },
      h('h4', { class: 'diff-path' }, file.path),
      h('table', { class: 'diff-lines' }, h('tbody', null, file.lines.map((line) => renderLine(line, language)))),
    );
  }));
}

function renderLine(line: DiffLine, language: string | null): HTMLElement {
  const code = h('code', { class: 'hljs' });
  if ((line.kind === 'add' || line.kind === 'del' || line.kind === 'context') && language) {
    code.innerHTML = hljs.highlight(line.text, { language, ignoreIllegals: true }).value;
  } else {
    code.textContent = line.text;
  }
  return h('tr', { class: `diff-${line.kind}` },
    h('td', { class: 'line-number' }, line.oldNumber ?? ''),
    h('td', { class: 'line-number' }, line.newNumber ?? ''),
    h('td', { class: 'sign' }, SIGN[line.kind]),
    h('td', { class: 'code' }, code),
  );
}
