// The README's table of what each built-in experiment needs (verbs × resources) is the
// declarations' own: computed here from each experiment's parts with its default parameters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { metas, loadExperiment } from '../../experiments/meta.ts';
import { experimentPermissions } from '../../harness/cluster/permissions.ts';
import { scopeRules } from '../../harness/cluster/rbac.ts';
import { runNamespaceOf } from '../../harness/cli/rbac.ts';
import { parseSetFlags, validateParams } from '../../harness/engine/params.ts';

const START = '<!-- rbac-table:start (generated from the declarations; test/unit/docs-rbac.test.ts prints it) -->';
const END = '<!-- rbac-table:end -->';

/** One row per resource and scope, one column per built-in experiment, its verbs in the cell. */
async function table(): Promise<string> {
  const cells = new Map<string, Map<string, string>>();
  for (const m of metas) {
    const def = await loadExperiment(m.name);
    const params = validateParams(m.name, def.params, parseSetFlags([], def.params));
    const ns = runNamespaceOf(params);
    for (const r of scopeRules(experimentPermissions(def, params), ns)) {
      const scope = r.namespace === undefined ? 'cluster-wide' : r.namespace === ns ? "run's namespace" : r.namespace;
      const key = `| \`${r.group ? `${r.group}/` : ''}${r.resource}\` | ${scope} |`;
      cells.set(key, (cells.get(key) ?? new Map<string, string>()).set(m.name, r.verbs.join(', ')));
    }
  }
  const head = `| resource | where | ${metas.map((m) => m.name).join(' | ')} |\n| --- | --- |${metas.map(() => ' --- |').join('')}`;
  const rows = [...cells].sort(([a], [b]) => a.localeCompare(b)).map(([key, by]) => `${key} ${metas.map((m) => by.get(m.name) ?? '').join(' | ')} |`);
  return [head, ...rows].join('\n');
}

describe('README: least privilege', () => {
  it('the table of verbs × resources per built-in experiment is what their parts declare', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const expected = await table();
    assert.ok(expected.split('\n').length > 5, expected);
    const at = readme.indexOf(START);
    assert.ok(at >= 0, `README lacks the marker ${START}`);
    const shown = readme.slice(at + START.length, readme.indexOf(END, at)).trim();
    assert.equal(shown, expected, `the README's table drifted from the declarations; it should read:\n${expected}`);
  });
});
