// catalog.json: each experiment's name, description, hypothesis and parameters (as describeParams
// gives them), so `list` prints them without loading zod, the schemas or any step. It is generated
// from the schemas (`node experiments/catalog.ts > experiments/catalog.json`, or `npm run catalog`);
// a unit test fails when it no longer matches them.
import { readFileSync } from 'node:fs';
import type { ParamInfo } from '../harness/engine/params.ts';

export interface CatalogEntry {
  name: string;
  description: string;
  hypothesis: string;
  parameters: ParamInfo[];
}

/** The catalog shipped beside this file (also in dist/experiments/). */
export function readCatalog(): CatalogEntry[] {
  return JSON.parse(readFileSync(new URL('./catalog.json', import.meta.url), 'utf8')) as CatalogEntry[];
}

/** The catalog as the schemas say it is now. */
export async function buildCatalog(): Promise<CatalogEntry[]> {
  const [{ metas }, { describeParams }] = await Promise.all([import('./meta.ts'), import('../harness/engine/params.ts')]);
  return metas.map((e) => ({ name: e.name, description: e.description, hypothesis: e.hypothesis, parameters: describeParams(e.params) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await buildCatalog(), null, 2) + '\n');
}
