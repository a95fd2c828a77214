// The HPA formula at its edges: the tolerance's lower bound is inclusive as in the controller,
// and micro- and nanocore quantities are read in millicores.
import assert from 'node:assert/strict';
import { millicores, milliValue, predictReplicas } from '../../../experiments/hpa-cpu/formula.ts';

describe('hpa-cpu: the formula at its edges', () => {
  it('a ratio of exactly 0.9 is within the 10% tolerance (replicas kept); just below it scales in', () => {
    const at = predictReplicas({ currentReplicas: 10, currentUtilization: 45, targetUtilization: 50, minReplicas: 1, maxReplicas: 10 });
    assert.deepEqual(at, { needed: 9, clamped: 10, ratio: 0.9, withinTolerance: true });
    const below = predictReplicas({ currentReplicas: 10, currentUtilization: 44, targetUtilization: 50, minReplicas: 1, maxReplicas: 10 });
    assert.equal(below.withinTolerance, false);
    assert.equal(below.clamped, 9);
    const tight = predictReplicas({ currentReplicas: 10, currentUtilization: 44, targetUtilization: 50, minReplicas: 1, maxReplicas: 10, tolerance: { down: 0.2, up: 0.1 } });
    assert.equal(tight.withinTolerance, true);
  });

  it('reads micro- and nanocores, and rounds up to whole millicores as the controller does', () => {
    assert.equal(millicores('2500u'), 2.5);
    assert.equal(millicores('250000000n'), 250);
    assert.equal(milliValue('2500u'), 3);
    assert.equal(milliValue('12345n'), 1);
    assert.equal(milliValue('0'), 0);
  });
});
