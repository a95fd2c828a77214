// Root-level mocha hooks for the integration tier. Import this module for its
// side effect from every integration test file; ES modules evaluate once, so
// the hook is registered once, at the root suite, for all files.
import { componentLogTails } from './cluster-logs.ts';

afterEach(function () {
  if (this.currentTest?.state === 'failed') {
    console.error(`\n[integration] "${this.currentTest.fullTitle()}" failed; control plane log tails:\n${componentLogTails(30)}\n`);
  }
});
