// How a printed metric value becomes a number. `nan` and `inf` are accepted (Python prints them) and
// come back as NaN/±Infinity, so a diverged run is recognized rather than mistaken for "no metric".

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^([+-]?)(nan|inf|infinity)$/i;

/** The number in `text`, or undefined when `text` is not a number at all. */
export function parseMetricNumber(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const special = NON_FINITE.exec(text);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** Metric names as the study spec allows them (schemas MetricName). */
export const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const METRIC_NAME_MAX = 128;

export function isMetricName(name: string): boolean {
  return name.length <= METRIC_NAME_MAX && METRIC_NAME.test(name);
}
