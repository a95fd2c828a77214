// `shakedown list` and `shakedown validate`: what the experiments take, checked without a cluster.
import type { Command } from 'commander';
import { readCatalog } from '../../../experiments/catalog.ts';
import { examples, paramOptions, prepare, select, validation, type CommandContext, type ParamOptions } from './shared.ts';

export function addListCommand(program: Command, { out }: CommandContext): void {
  program
    .command('list')
    .usage('[--json]')
    .summary('list the experiments and their parameters')
    .description('List every experiment with its parameters: type, default and meaning.')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(['shakedown list', 'shakedown list --json'], 'Exit codes: 0 listed'))
    .action((opts: { json?: boolean }) => {
      const catalog = readCatalog();
      if (opts.json) {
        out(JSON.stringify(catalog, null, 2));
        return;
      }
      for (const e of catalog) {
        out(`${e.name}\n  ${e.description}`);
        for (const p of e.parameters) {
          const def = p.default === undefined ? (p.required ? ' (required)' : '') : ` = ${JSON.stringify(p.default)}`;
          out(`    ${p.name}: ${p.type}${def}  ${p.description}`);
        }
        out('');
      }
    });
}

export function addValidateCommand(program: Command, { out }: CommandContext): void {
  paramOptions(
    program
      .command('validate')
      .usage('[experiment...] [options]')
      .summary('check parameters and manifests without touching a cluster')
      .description("Check the experiments' parameters and fill in and parse their manifests, without a cluster.")
      .argument('[experiments...]', 'experiments to validate: built-in names or experiment files (./my-exp.ts); default: every built-in'),
  )
    .addHelpText(
      'after',
      examples(['shakedown validate', "shakedown validate statefulset-identity --set replicas=3 --set 'ordinals=[0,2]'"], 'Exit codes: 0 valid, 2 an unknown experiment, a bad parameter or a broken manifest (named)'),
    )
    .action(async (names: string[], opts: ParamOptions) => {
      const v = await validation();
      const selected = await select(v, names, names.length === 0);
      for (const { def, params } of prepare(v, selected.map((e) => e.meta), opts)) {
        const values = def.manifestValues?.(params) ?? {};
        const objects = (def.manifests ?? []).flatMap((m) => v.loadManifestFile(m, values));
        out(`${def.name}: ok (${v.describeParams(def.params).length} parameters, ${objects.length ? `${objects.length} manifest objects: ${objects.map((o) => o.kind).join(', ')}` : 'no manifests'})`);
      }
    });
}
