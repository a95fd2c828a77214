// statefulset-identity at scale: deletion batches, and the parameters that allow them, checked
// before any cluster is touched.
import assert from 'node:assert/strict';
import { UsageError } from '../../../harness/engine/errors.ts';
import { parseSetFlags, validateParams } from '../../../harness/engine/params.ts';
import { batchesOf, batchProblem, params, MAX_REPLICAS } from '../../../experiments/statefulset-identity/params.ts';

function validate(flags: string[]) {
  return validateParams('statefulset-identity', params, parseSetFlags(flags, params));
}

function refused(flags: string[]): UsageError {
  try {
    validate(flags);
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${flags.join(' ')} to be refused`);
}

describe('statefulset-identity at scale', () => {
  describe('batchesOf', () => {
    it('cuts the ordinals into batches of the given size, in the order given, the last one shorter', () => {
      assert.deepEqual(batchesOf([0, 1, 2, 3, 4, 5, 6], 3), [[0, 1, 2], [3, 4, 5], [6]]);
      assert.deepEqual(batchesOf([5, 2, 9], 1), [[5], [2], [9]]);
      assert.deepEqual(batchesOf([5, 2, 9], 10), [[5, 2, 9]]);
      assert.deepEqual(batchesOf([], 4), []);
    });

    it('keeps every ordinal exactly once at 100 replicas', () => {
      const all = [...Array(100).keys()];
      for (const size of [1, 7, 10, 33, 100]) {
        const b = batchesOf(all, size);
        assert.deepEqual(b.flat(), all, `size ${size}`);
        assert.equal(b.length, Math.ceil(100 / size));
        assert.ok(b.every((x) => x.length <= size));
      }
    });

    it('refuses a size that is not a whole number of 1 or more', () => {
      assert.throws(() => batchesOf([0, 1], 0), RangeError);
      assert.throws(() => batchesOf([0, 1], 1.5), RangeError);
    });
  });

  describe('batchProblem', () => {
    it('allows one at a time under any policy, several only under Parallel', () => {
      assert.equal(batchProblem(1, 'OrderedReady'), undefined);
      assert.equal(batchProblem(1, 'Parallel'), undefined);
      assert.equal(batchProblem(10, 'Parallel'), undefined);
      assert.match(batchProblem(2, 'OrderedReady')!, /is 2, but podManagementPolicy is OrderedReady: only one pod at a time/);
    });
  });

  describe('parameters', () => {
    it(`takes up to ${MAX_REPLICAS} replicas, and no more`, () => {
      assert.equal(validate([`replicas=${MAX_REPLICAS}`]).replicas, MAX_REPLICAS);
      assert.match(refused([`replicas=${MAX_REPLICAS + 1}`]).message, /parameter "replicas": .*100/);
    });

    it('refuses batch > 1 on the default (OrderedReady) fixture, naming the parameter and the policy', () => {
      const err = refused(['replicas=10', 'batch=5']);
      assert.equal(err.field, 'batch');
      assert.match(err.message, /parameter "batch": is 5, but podManagementPolicy is OrderedReady/);
      assert.match(refused(['batch=2', 'podManagementPolicy=OrderedReady']).message, /"batch": is 2/);
    });

    it('allows batch > 1 on a Parallel fixture', () => {
      const p = validate(['replicas=100', 'batch=10', 'podManagementPolicy=Parallel']);
      assert.equal(p.batch, 10);
      assert.equal(p.podManagementPolicy, 'Parallel');
    });

    it('leaves an existing StatefulSet\'s policy to preflight, and refuses to set it for one', () => {
      assert.equal(validate(['statefulset=orders', 'batch=4']).batch, 4);
      const err = refused(['statefulset=orders', 'podManagementPolicy=Parallel']);
      assert.match(err.message, /"podManagementPolicy": applies to the fixture only: StatefulSet orders/);
    });

    it('refuses a batch of 0 and an unknown policy', () => {
      assert.match(refused(['batch=0']).message, /parameter "batch"/);
      assert.match(refused(['podManagementPolicy=Random']).message, /parameter "podManagementPolicy"/);
    });
  });
});
