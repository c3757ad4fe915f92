/** Errors cross boundaries as plain data: toErrorData copies error data, and never mistakes an Error for it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError, toErrorData } from '../../../src/shared/errors';

describe('toErrorData', () => {
  it('keeps a SinkLensError and copies plain error data', () => {
    assert.deepEqual(toErrorData(new SinkLensError('badConfig', 'bad', 'detail')), { code: 'badConfig', message: 'bad', detail: 'detail' });
    const data = { code: 'cancelled' as const, message: 'stop', extra: 1 };
    const got = toErrorData(data);
    assert.deepEqual(got, { code: 'cancelled', message: 'stop' });
    assert.notEqual(got, data, 'a copy: nothing but the data crosses');
  });

  it("turns a Node fs error (string code 'ENOENT') into plain internal data, not the Error itself", () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', errno: -2 });
    const got = toErrorData(e);
    assert.equal(got.code, 'internal');
    assert.equal(Object.getPrototypeOf(got), Object.prototype, 'plain data survives a structured clone');
    assert.match(got.message, /ENOENT/);
  });
});
