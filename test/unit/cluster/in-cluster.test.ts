// Running inside the cluster: the --in-cluster flag, the token's account and the guard that
// refuses a run under another account or in another namespace.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CLUSTER_CONTEXT, SERVICE_ACCOUNT_DIR, inPod, loadInClusterConfig, parseInClusterFlag, tokenAccount } from '../../../harness/cluster/in-cluster.ts';
import { UsageError } from '../../../harness/engine/errors.ts';

const jwt = (claims: object) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('in-cluster credentials and their guard', () => {
  let root: string;
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'shakedown-incluster-'));
    mkdirSync(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
    process.env['KUBERNETES_SERVICE_HOST'] = '10.96.0.1';
    process.env['KUBERNETES_SERVICE_PORT'] = '443';
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const token = (claims: object) => {
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'token'), jwt(claims) + '\n');
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'ca.crt'), '');
  };

  it('parses <namespace>/<serviceaccount> and refuses anything else, naming the flag', () => {
    assert.deepEqual(parseInClusterFlag('shop/shakedown-pod-delete'), { namespace: 'shop', name: 'shakedown-pod-delete' });
    for (const bad of ['shop', 'shop/', '/sa', 'shop/sa/x', 'Shop/sa', 'shop/SA', 'sh op/sa', '']) {
      assert.throws(() => parseInClusterFlag(bad), (e: unknown) => e instanceof UsageError && e.message.startsWith(`--in-cluster "${bad}" must be <namespace>/<serviceaccount>`), bad);
    }
  });

  it("reads the account from a ServiceAccount token's subject, and nothing from any other token", () => {
    assert.deepEqual(tokenAccount(jwt({ sub: 'system:serviceaccount:shop:gd' })), { namespace: 'shop', name: 'gd' });
    assert.equal(tokenAccount(jwt({ sub: 'alice' })), undefined);
    assert.equal(tokenAccount(jwt({ sub: 'system:serviceaccount:shop' })), undefined);
    assert.equal(tokenAccount(jwt({})), undefined);
    assert.equal(tokenAccount('not-a-jwt'), undefined);
    assert.equal(tokenAccount('a.!!!.c'), undefined);
  });

  it('a pod is known by the service host and a mounted token, both', () => {
    assert.equal(inPod(root), false, 'no token yet');
    token({ sub: 'system:serviceaccount:shop:gd' });
    assert.equal(inPod(root), true);
    delete process.env['KUBERNETES_SERVICE_HOST'];
    assert.equal(inPod(root), false);
  });

  it("the pod's account in its own namespace is allowed: the API server from the service's address, context in-cluster", () => {
    token({ sub: 'system:serviceaccount:shop:gd' });
    const kube = loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop', 'shop'], root);
    assert.equal(kube.context, IN_CLUSTER_CONTEXT);
    assert.equal(kube.server, 'https://10.96.0.1:443');
    assert.match(kube.source, /^ServiceAccount shop\/gd /);
  });

  it('refuses another account, another namespace, a run aimed elsewhere, a foreign token and no pod at all, each naming what differs', () => {
    const refused = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);
    assert.throws(() => loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop'], root), refused(/does not run in a Kubernetes pod/));
    token({ sub: 'system:serviceaccount:shop:other' });
    assert.throws(() => loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop'], root), refused(/runs as ServiceAccount shop\/other, not the one the CronJob was made for/));
    token({ sub: 'system:serviceaccount:bank:gd' });
    assert.throws(() => loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop'], root), refused(/runs as ServiceAccount bank\/gd/));
    token({ sub: 'system:serviceaccount:shop:gd' });
    assert.throws(() => loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop', 'bank', 'bank'], root), refused(/the run's namespace is bank, not shop, the one the CronJob was made for; refused$/));
    token({ sub: 'alice' });
    assert.throws(() => loadInClusterConfig({ namespace: 'shop', name: 'gd' }, ['shop'], root), refused(/is not a ServiceAccount token/));
  });
});
