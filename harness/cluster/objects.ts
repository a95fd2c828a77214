import type { KubernetesListObject, KubernetesObject, V1APIResourceList } from '@kubernetes/client-node';
import type { KubeRest, Query } from './rest.ts';

/** An object's type and name: enough to find it. */
export type ObjectHeader = KubernetesObject & { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } };

/**
 * Any kind of object by apiVersion and kind (Istio's policies, whatever a manifest holds): the
 * resource's path comes from API discovery of its group version, asked once per group version.
 */
export class ObjectApi {
  private readonly discovered = new Map<string, Promise<V1APIResourceList>>();

  private readonly rest: KubeRest;

  constructor(rest: KubeRest) {
    this.rest = rest;
  }

  read<T extends KubernetesObject = KubernetesObject>(o: ObjectHeader): Promise<T> {
    return this.at(o, true).then((path) => this.rest.get<T>(path));
  }

  create<T extends KubernetesObject = KubernetesObject>(o: KubernetesObject): Promise<T> {
    return this.at(o as ObjectHeader, false).then((path) => this.rest.request<T>('POST', path, { body: o }));
  }

  replace<T extends KubernetesObject = KubernetesObject>(o: KubernetesObject): Promise<T> {
    return this.at(o as ObjectHeader, true).then((path) => this.rest.request<T>('PUT', path, { body: o }));
  }

  /** Server-side apply under `fieldManager`, taking over fields another manager set (force). */
  apply<T extends KubernetesObject = KubernetesObject>(o: KubernetesObject, fieldManager: string): Promise<T> {
    return this.at(o as ObjectHeader, true).then((path) =>
      this.rest.request<T>('PATCH', path, { query: { fieldManager, force: true }, body: o, contentType: 'application/apply-patch+yaml' }),
    );
  }

  delete(o: ObjectHeader, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<unknown> {
    return this.at(o, true).then((path) => this.rest.request('DELETE', path, opts.propagationPolicy ? { body: { propagationPolicy: opts.propagationPolicy } } : {}));
  }

  /** Every object of a kind, in one namespace or (namespace undefined) across all. */
  async list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined } = {},
  ): Promise<KubernetesListObject<T>> {
    const r = await this.resource(apiVersion, kind);
    const query: Query = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    return this.rest.get(`${groupPath(apiVersion)}${r.namespaced && opts.namespace ? `/namespaces/${enc(opts.namespace)}` : ''}/${r.name}`, query);
  }

  /** The resource (plural name, scope) serving a kind, from discovery. */
  async resource(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean }> {
    let list = this.discovered.get(apiVersion);
    if (!list) {
      list = this.rest.get<V1APIResourceList>(groupPath(apiVersion));
      this.discovered.set(apiVersion, list);
      list.catch(() => this.discovered.delete(apiVersion)); // asked again next time
    }
    const r = (await list).resources.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!r) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    return { name: r.name, namespaced: r.namespaced };
  }

  private async at(o: ObjectHeader, named: boolean): Promise<string> {
    // Never a collection by accident: a delete without a name would delete every object of the kind.
    if (named && !o.metadata?.name) throw new Error(`${o.kind} ${o.apiVersion} has no metadata.name`);
    const r = await this.resource(o.apiVersion, o.kind);
    const ns = r.namespaced ? `/namespaces/${enc(o.metadata?.namespace ?? 'default')}` : '';
    return `${groupPath(o.apiVersion)}${ns}/${r.name}${named ? `/${enc(o.metadata?.name ?? '')}` : ''}`;
  }
}

/** /api/v1 for the core group, /apis/<group>/<version> for any other. */
export const groupPath = (apiVersion: string): string => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

export const enc = encodeURIComponent;
