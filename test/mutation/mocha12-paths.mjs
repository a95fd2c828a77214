// Preloaded (NODE_OPTIONS=--import) into Stryker and its workers by test/mutation/run.mjs.
// @stryker-mutator/mocha-runner 10.1.1 requires mocha's CLI internals without an extension
// (lib/cli/run-helpers, options, collect-files); Mocha 12 ships them as .cjs, so the plugin fails
// to load. This maps exactly those three requests onto the .cjs files, nothing else. Remove it
// once the runner resolves them itself (stryker-js PR #6205, "load Mocha cli internals
// regardless of file extension").
import { existsSync } from 'node:fs';
import module from 'node:module';

const CLI = /[/\\]mocha[/\\]lib[/\\]cli[/\\](run-helpers|options|collect-files)$/;

module.registerHooks({
  resolve(specifier, context, next) {
    if (CLI.test(specifier) && !existsSync(`${specifier}.js`) && existsSync(`${specifier}.cjs`)) return next(`${specifier}.cjs`, context);
    return next(specifier, context);
  },
});
