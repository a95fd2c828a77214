// shakedown up / down as a user meets them without a cluster: a real child process, a fake `kind`
// on PATH (a shell script that logs its arguments), real exit codes and messages.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { checkIstioSets, findIstioctl, installIstio, istioInstallArgs } from '../../../harness/kind/istio.ts';
import { findKind, kindClusterOf, readRecord, writeRecord } from '../../../harness/kind/kind.ts';

const BIN = fileURLToPath(new URL('../../../harness/cli/bin.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../kind-config.yaml', import.meta.url));

describe('kind: up and down', function () {
  this.timeout(60_000);
  let tmp: string;
  let bin: string;
  let cache: string;
  const shakedown = async (args: string[], path = bin) => {
    const r = await execa(process.execPath, [BIN, ...args], { reject: false, env: { CI: 'true', PATH: `${path}:/usr/bin:/bin`, SHAKEDOWN_CACHE: cache, KUBECONFIG: join(tmp, 'kubeconfig') }, extendEnv: false });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
  const calls = () => readFileSync(join(tmp, 'kind.log'), 'utf8').trim().split('\n');

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'shakedown-kind-unit-'));
    bin = join(tmp, 'bin');
    cache = join(tmp, 'cache');
    mkdirSync(bin);
    // A fake kind: `get clusters` lists $tmp/clusters; every call is logged.
    writeFileSync(join(bin, 'kind'), `#!/bin/sh\necho "$*" >> ${tmp}/kind.log\ncase "$1 $2" in\n  "get clusters") cat ${tmp}/clusters 2>/dev/null || echo "No kind clusters found." >&2 ;;\n  "delete cluster") echo "Deleting cluster" >&2 ;;\n  *) echo "unexpected" >&2; exit 1 ;;\nesac\n`);
    chmodSync(join(bin, 'kind'), 0o755);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('up without kind: exit 3, one line saying how to get it', async () => {
    const r = await shakedown(['up', '--config', CONFIG], join(tmp, 'empty'));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^shakedown: up: kind not found on PATH; install it .* or pass --kind <path>$/);
  });

  it('up with a missing config or an unknown add-on: exit 2 before kind runs', async () => {
    let r = await shakedown(['up', '--config', join(tmp, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /kind config .*nope\.yaml does not exist/);
    r = await shakedown(['up', '--config', CONFIG, '--with', 'linkerd']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown add-on 'linkerd' \(known: istio\)/);
    r = await shakedown(['up', '--config', CONFIG, '--timeout', 'soon']);
    assert.equal(r.code, 2);
  });

  it('up --with istio without istioctl: exit 3, one line, before kind runs', async () => {
    let r = await shakedown(['up', '--config', CONFIG, '--with', 'istio']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^shakedown: up: istioctl not found on PATH \(needed by --with istio\); install it .* or pass --istioctl <path>$/);
    r = await shakedown(['up', '--config', CONFIG, '--with', 'istio', '--istioctl', join(tmp, 'nope')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /istioctl not found at .*nope \(--istioctl\)/);
    assert.ok(!existsSync(join(tmp, 'kind.log')), 'kind was not called');
  });

  it('up with a bad --istio-set, or one without --with istio: exit 2 before kind runs', async () => {
    writeFileSync(join(bin, 'istioctl'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'istioctl'), 0o755);
    let r = await shakedown(['up', '--config', CONFIG, '--with', 'istio', '--istio-set', 'hub=x', '--istio-set', 'tag']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^shakedown: up: --istio-set tag is not key=value/);
    r = await shakedown(['up', '--config', CONFIG, '--with', 'istio', '--istio-set', '=x']);
    assert.equal(r.code, 2);
    r = await shakedown(['up', '--config', CONFIG, '--istio-set', 'hub=x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--istio-set and --istioctl need --with istio/);
    assert.ok(!existsSync(join(tmp, 'kind.log')), 'kind was not called');
  });

  it('istioctl install: profile minimal, the --istio-set values, the context; a failure carries its output', async () => {
    assert.doesNotThrow(() => checkIstioSets(['a=b', 'values.x=y=z', 'k=']));
    assert.deepEqual(istioInstallArgs('kind-x', ['hub=h', 'tag=t'], '300s'), ['install', '-y', '--context', 'kind-x', '--set', 'profile=minimal', '--set', 'hub=h', '--set', 'tag=t', '--readiness-timeout', '300s']);
    writeFileSync(join(bin, 'istioctl'), `#!/bin/sh\necho "$*" > ${tmp}/istioctl.log\nprintf '  /|\\\\\\n'\nprintf -- '- Processing\\r- Processing\\r\\033[32m✔ Istio core installed\\033[0m\\n'\necho 'Error: failed to install manifests: boom' >&2\nexit 1\n`);
    chmodSync(join(bin, 'istioctl'), 0o755);
    assert.equal(findIstioctl(undefined, `/nonexistent:${bin}`), join(bin, 'istioctl'));
    const lines: string[] = [];
    await assert.rejects(installIstio(join(bin, 'istioctl'), 'kind-x', ['hub=h'], '60s', (l) => lines.push(l)), /istioctl install failed \(exit 1\):\n[^]*Error: failed to install manifests: boom/);
    assert.deepEqual(lines.filter((l) => !l.startsWith('Error')), ['- Processing', '✔ Istio core installed']);
    assert.equal(readFileSync(join(tmp, 'istioctl.log'), 'utf8').trim(), 'install -y --context kind-x --set profile=minimal --set hub=h --readiness-timeout 60s');
  });

  it('up leaves a kind cluster it did not make alone', async () => {
    writeFileSync(join(tmp, 'clusters'), 'shakedown\n');
    const r = await shakedown(['up', '--config', CONFIG]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /exists and `shakedown up` did not make it; it is left alone/);
    assert.deepEqual(calls(), ['get clusters']);
  });

  it('down deletes only a cluster up recorded, and forgets it', async () => {
    writeFileSync(join(tmp, 'clusters'), 'shakedown\nmine\n');
    let r = await shakedown(['down', '--name', 'mine']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no kind cluster named mine was made by `shakedown up`/);
    writeRecord([{ name: 'shakedown', createdAt: new Date().toISOString() }], join(cache, 'kind-clusters.json'));
    r = await shakedown(['down']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls(), ['get clusters', 'delete cluster --name shakedown']);
    assert.deepEqual(readRecord(join(cache, 'kind-clusters.json')), []);
  });

  it('finds kind by flag or on PATH, and names the cluster behind a context', () => {
    assert.equal(findKind(undefined, `/nonexistent:${bin}`), join(bin, 'kind'));
    assert.equal(findKind(join(bin, 'kind')), join(bin, 'kind'));
    assert.throws(() => findKind(join(tmp, 'nope')), /kind not found at/);
    assert.equal(kindClusterOf('kind-shakedown'), 'shakedown');
    assert.equal(kindClusterOf('shakedown-local'), undefined);
    assert.equal(kindClusterOf('kind-'), undefined);
  });
});
