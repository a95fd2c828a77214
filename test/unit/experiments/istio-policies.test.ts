// istio-mtls's reading of Istio: precedence for one workload port, DestinationRule host matching,
// injection labels.
import assert from 'node:assert/strict';
import { clientTlsOverrides, effectiveMtls, hostCovers, injectionOf, type DestinationRule, type MeshPolicies, type PeerAuthentication } from '../../../experiments/istio-mtls/mesh.ts';

const pa = (namespace: string, name: string, spec: PeerAuthentication['spec'], created = '2026-01-01T00:00:00Z'): PeerAuthentication => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, namespace, creationTimestamp: created },
  spec,
});
const none = (): MeshPolicies => ({ rootNamespace: 'istio-system', mesh: [], namespace: [], workload: [], destinationRules: [] });
const sel = { selector: { matchLabels: { app: 'web' } } };

describe('istio-mtls: mesh policies', () => {
  it('is PERMISSIVE when no policy sets a mode', () => {
    assert.equal(effectiveMtls(none(), 8080).mode, 'PERMISSIVE');
  });

  it('lets the namespace beat the mesh, the workload beat both, and UNSET inherit', () => {
    const p = { ...none(), mesh: [pa('istio-system', 'default', { mtls: { mode: 'STRICT' } })] };
    assert.deepEqual(effectiveMtls(p, 8080), { mode: 'STRICT', decidedBy: 'PeerAuthentication istio-system/default (mtls.mode STRICT)' });
    p.namespace = [pa('shop', 'default', { mtls: { mode: 'PERMISSIVE' } })];
    assert.equal(effectiveMtls(p, 8080).mode, 'PERMISSIVE');
    p.workload = [pa('shop', 'web', { ...sel, mtls: { mode: 'UNSET' } })];
    assert.equal(effectiveMtls(p, 8080).mode, 'PERMISSIVE', 'UNSET inherits the namespace mode');
    p.workload = [pa('shop', 'web', { ...sel, mtls: { mode: 'STRICT' } })];
    assert.match(effectiveMtls(p, 8080).decidedBy, /shop\/web/);
  });

  it('names the workload policy whose portLevelMtls decides the port', () => {
    const p = { ...none(), namespace: [pa('shop', 'default', { mtls: { mode: 'STRICT' } })], workload: [pa('shop', 'web', { ...sel, portLevelMtls: { '8080': { mode: 'DISABLE' } } })] };
    assert.deepEqual(effectiveMtls(p, 8080), { mode: 'DISABLE', decidedBy: 'PeerAuthentication shop/web sets port 8080 to DISABLE (portLevelMtls)' });
    assert.equal(effectiveMtls(p, 9090).mode, 'STRICT', 'another port keeps the namespace mode');
  });

  it('matches DestinationRule hosts as Istio resolves them', () => {
    const t = { namespace: 'shop', service: 'web' };
    for (const [host, ns] of [['web', 'shop'], ['web.shop', 'x'], ['web.shop.svc', 'x'], ['web.shop.svc.cluster.local', 'x'], ['*.shop.svc.cluster.local', 'x'], ['*.cluster.local', 'x'], ['*', 'x']] as const) {
      assert.ok(hostCovers(host, ns, t), `${host} in ${ns}`);
    }
    for (const [host, ns] of [['web', 'other'], ['api.shop.svc.cluster.local', 'x'], ['*.other.svc.cluster.local', 'x']] as const) assert.ok(!hostCovers(host, ns, t), `${host} in ${ns}`);
  });

  it('names DestinationRules that send something other than Istio mTLS to the port', () => {
    const dr: DestinationRule = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'shop' }, spec: { host: 'web', trafficPolicy: { tls: { mode: 'DISABLE' } } } };
    assert.deepEqual(clientTlsOverrides({ ...none(), destinationRules: [dr] }, 8080), ['DestinationRule shop/web sets client TLS for port 8080 to DISABLE']);
  });

  it('reads injection from istio-injection or istio.io/rev; disabled wins', () => {
    assert.equal(injectionOf({ 'istio-injection': 'enabled' }).injected, true);
    assert.equal(injectionOf({ 'istio.io/rev': 'canary' }).injected, true);
    assert.equal(injectionOf({ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }).injected, false);
    assert.equal(injectionOf(undefined).injected, false);
  });
});
