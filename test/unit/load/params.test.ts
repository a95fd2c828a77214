// Load parameters are checked before anything touches the cluster, naming the field.
import assert from 'node:assert/strict';
import { UsageError } from '../../../harness/engine/errors.ts';
import { validateParams } from '../../../harness/engine/params.ts';
import { params } from '../../../experiments/statefulset-identity/params.ts';

const check = (raw: Record<string, unknown>) => validateParams('statefulset-identity', params, raw);
const rejects = (raw: Record<string, unknown>, field: string) =>
  assert.throws(() => check(raw), (e: unknown) => e instanceof UsageError && (e.field ?? '').split(',').includes(field) && e.message.includes(`"${field}"`));

describe('load parameters (statefulset-identity)', () => {
  it('default to no load, with durations in ms', () => {
    const p = check({});
    assert.equal(p.load, 'off');
    assert.equal(p.loadRate, 20);
    assert.equal(p.loadTimeout, 2000);
    assert.equal(p.loadRecoverWithin, 60_000);
  });

  it('accept a loopback URL and refuse any other, naming loadUrl', () => {
    assert.equal(check({ load: 'builtin', loadUrl: 'http://127.0.0.1:30080/' }).loadUrl, 'http://127.0.0.1:30080/');
    rejects({ load: 'builtin', loadUrl: 'http://example.com/' }, 'loadUrl');
    rejects({ load: 'builtin', loadUrl: 'https://127.0.0.1/' }, 'loadUrl');
    rejects({ load: 'builtin', loadUrl: 'not a url' }, 'loadUrl');
  });

  it('need loadUrl for load on an existing StatefulSet, and refuse bad drivers, rates and limits', () => {
    rejects({ load: 'builtin', statefulset: 'orders' }, 'loadUrl');
    assert.equal(check({ load: 'off', statefulset: 'orders' }).load, 'off');
    rejects({ load: 'wrk' }, 'load');
    rejects({ loadRate: 0 }, 'loadRate');
    rejects({ loadMaxErrorRate: 2 }, 'loadMaxErrorRate');
    rejects({ loadTimeout: 'soon' }, 'loadTimeout');
  });
});
