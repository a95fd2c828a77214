// How each request's ending is classified, at every boundary of the status classes and for each
// socket error the drivers meet.
import assert from 'node:assert/strict';
import { classifyError, classifyStatus, RequestTimeout } from '../../../harness/load/classify.ts';

describe('load: classifying a request\'s ending', () => {
  it('puts each status in its class, at both edges of every class', () => {
    const cases: [number, string][] = [[199, 'other'], [200, '2xx'], [299, '2xx'], [300, '3xx'], [399, '3xx'], [400, '4xx'], [499, '4xx'], [500, '5xx'], [599, '5xx'], [600, 'other'], [0, 'other']];
    assert.deepEqual(cases.map(([s]) => [s, classifyStatus(s)]), cases);
  });

  it('names each socket error\'s outcome and keeps its code', () => {
    const err = (code: unknown) => Object.assign(new Error('x'), { code });
    assert.deepEqual(classifyError(err('ECONNRESET')), { outcome: 'reset', code: 'ECONNRESET' });
    assert.deepEqual(classifyError(err('EPIPE')), { outcome: 'reset', code: 'EPIPE' });
    assert.deepEqual(classifyError(err('ECONNREFUSED')), { outcome: 'refused', code: 'ECONNREFUSED' });
    assert.deepEqual(classifyError(err('ETIMEDOUT')), { outcome: 'timeout', code: 'ETIMEDOUT' });
    assert.deepEqual(classifyError(new Error('no code')), { outcome: 'other', code: 'unknown' });
    assert.deepEqual(classifyError('a string'), { outcome: 'other', code: 'unknown' });
    assert.deepEqual(classifyError(null), { outcome: 'other', code: 'unknown' });
  });

  it('a timeout of the driver\'s own is a timeout, told apart from Node\'s by its name and code', () => {
    const t = new RequestTimeout('late');
    assert.deepEqual(classifyError(t), { outcome: 'timeout', code: 'timeout' });
    assert.equal(t.name, 'RequestTimeout');
    assert.equal(t.code, 'ETIMEDOUT_SHAKEDOWN');
  });
});
