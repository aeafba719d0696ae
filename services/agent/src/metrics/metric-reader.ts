// The shape every stdout parser shares: fed one line at a time while the run goes (output can be far
// too large to keep), asked for its values at the end. Values may be NaN or ±Infinity.

export type MetricValues = Map<string, number>;

export interface MetricLineReader {
  readLine(line: string): void;
  values(): MetricValues;
}

/** Runs a reader over a whole text, for tests and one-shot use. Handles LF and CRLF. */
export function readAllLines(reader: MetricLineReader, text: string): MetricValues {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) reader.readLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  return reader.values();
}
