// The test cluster leaves the host as it found it: the sysctl record/restore functions of
// test/cluster/node/host-settings.sh, run by bash against a scratch sysctl tree (never /proc/sys),
// and a check that up.sh changes host-wide settings only through them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_DIR = fileURLToPath(new URL('../../cluster/node/', import.meta.url));
const SETTINGS = join(NODE_DIR, 'host-settings.sh');

describe('test cluster: host settings are recorded and restored', () => {
  let root: string;
  const sysctl = (key: string) => join(root, 'sys', ...key.split('.'));
  const read = (key: string) => readFileSync(sysctl(key), 'utf8').trim();
  const write = (key: string, v: string) => {
    mkdirSync(dirname(sysctl(key)), { recursive: true });
    writeFileSync(sysctl(key), `${v}\n`);
  };
  const bash = (script: string) => {
    const r = spawnSync('bash', ['-c', `set -euo pipefail; log() { echo "log: $*" >&2; }; . "$1"; ${script}`, 'bash', SETTINGS], {
      env: { ...process.env, NODE_STATE: join(root, 'state'), SYSCTL_ROOT: join(root, 'sys') },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'shakedown-host-'));
    write('net.ipv4.ip_forward', '0');
    write('net.bridge.bridge-nf-call-iptables', '0');
    write('net.ipv4.conf.all.route_localnet', '0');
    write('vm.overcommit_memory', '0');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('up records the values before its first change; down puts every one back and forgets the record', () => {
    bash('host_set_sysctl net.ipv4.ip_forward 1; host_set_sysctl net.bridge.bridge-nf-call-iptables 1; host_record_sysctl vm.overcommit_memory net.ipv4.conf.all.route_localnet');
    assert.equal(read('net.ipv4.ip_forward'), '1');
    // The kubelet and kube-proxy then change what was recorded for them.
    write('vm.overcommit_memory', '1');
    write('net.ipv4.conf.all.route_localnet', '1');
    // A second up (no down between) must not record the node's own values as the host's.
    bash('host_set_sysctl net.ipv4.ip_forward 1; host_record_sysctl vm.overcommit_memory net.ipv4.conf.all.route_localnet');
    const record = readFileSync(join(root, 'state', 'host-settings.saved'), 'utf8');
    assert.equal(record.match(/^sysctl net\.ipv4\.ip_forward /gm)?.length, 1, record);
    assert.match(record, /^sysctl vm\.overcommit_memory 0$/m);

    bash('host_restore');
    for (const k of ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.all.route_localnet', 'vm.overcommit_memory']) assert.equal(read(k), '0', k);
    assert.throws(() => readFileSync(join(root, 'state', 'host-settings.saved')), 'the record is gone after down');
    // down without a record (or twice) changes nothing.
    write('net.ipv4.ip_forward', '1');
    bash('host_restore');
    assert.equal(read('net.ipv4.ip_forward'), '1');
  });

  it('a sysctl this host does not have is skipped, not invented', () => {
    bash('host_set_sysctl net.no.such.key 1; host_record_sysctl kernel.no_such');
    assert.throws(() => readFileSync(sysctl('net.no.such.key')));
  });

  it('up.sh changes host-wide sysctls only through the recording functions, and route_localnet only on its bridge', () => {
    const up = readFileSync(join(NODE_DIR, 'up.sh'), 'utf8');
    const direct = up.split('\n').filter((l) => /^\s*sysctl\s+-q?w/.test(l));
    assert.deepEqual(direct, ['sysctl -qw "net.ipv4.conf.$BRIDGE.route_localnet=1"']);
    assert.doesNotMatch(up, /conf\.all\.route_localnet=1/);
    assert.match(up, /host_set_sysctl net\.ipv4\.ip_forward 1/);
    assert.match(up, /host_record_sysctl net\.ipv4\.conf\.all\.route_localnet/);
    const down = readFileSync(join(NODE_DIR, 'down.sh'), 'utf8');
    assert.match(down, /^host_restore$/m);
  });
});
