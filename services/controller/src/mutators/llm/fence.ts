// Text shown to the model in a fenced block. A skill or a model's output may hold ``` blocks of its own,
// which would end a ``` fence early and leave the rest of the prompt inside the file; a fence one
// backtick longer than any run in the text cannot be closed by it (CommonMark's rule).
export function fenced(text: string): string {
  let longest = 0;
  for (const run of text.matchAll(/`+/g)) longest = Math.max(longest, run[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}
