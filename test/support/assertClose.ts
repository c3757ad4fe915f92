/** Every float comparison in the tests goes through here: |a - e| <= atol + rtol * |e|, elementwise. */
import assert from 'node:assert/strict';

export interface Tol {
  rtol?: number;
  atol?: number;
}

export function assertClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  { rtol = 1e-4, atol = 1e-5 }: Tol = {},
  what = 'value',
): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${what}: length ${a.length} != ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const ai = a[i] as number;
    const ei = e[i] as number;
    const excess = Math.abs(ai - ei) - (atol + rtol * Math.abs(ei));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(`${what}[${worst}]: got ${a[worst]}, expected ${e[worst]} (rtol ${rtol}, atol ${atol}; ${e.length} values)`);
  }
}
