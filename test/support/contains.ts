// "Everything we sent is there, unchanged": an API server adds defaults (completionMode, selector,
// dnsPolicy…) to what it stores, so a created object is compared with what was sent field by field.
import assert from 'node:assert/strict';

export function assertContains(actual: unknown, expected: unknown, path = '$'): void {
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;
  const a = plain(actual);
  const e = plain(expected);
  if (Array.isArray(e)) {
    assert.ok(Array.isArray(a), `${path}: expected a list, got ${JSON.stringify(a)}`);
    assert.equal(a.length, e.length, `${path}: expected ${e.length} items, got ${a.length}`);
    e.forEach((item, i) => assertContains(a[i], item, `${path}[${i}]`));
    return;
  }
  if (e !== null && typeof e === 'object') {
    assert.ok(a !== null && typeof a === 'object' && !Array.isArray(a), `${path}: expected an object, got ${JSON.stringify(a)}`);
    for (const [key, value] of Object.entries(e)) assertContains((a as Record<string, unknown>)[key], value, `${path}.${key}`);
    return;
  }
  assert.deepEqual(a, e, `${path}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
}
