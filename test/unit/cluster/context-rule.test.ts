// The context rule: a kind-* name alone is not trusted; its API server must be on this machine.
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { inCidr4, isContextAllowed, isLocalServer } from '../../../harness/cluster/kubeconfig.ts';

const iface = (address: string, cidr: string, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
  ({ address, cidr, family, netmask: '', mac: '00:00:00:00:00:00', internal: false }) as NetworkInterfaceInfo;

// A host with a LAN address, docker's default bridge and a kind network bridge.
const HOST = {
  lo: [iface('127.0.0.1', '127.0.0.1/8')],
  eth0: [iface('192.168.1.20', '192.168.1.20/24')],
  docker0: [iface('172.17.0.1', '172.17.0.1/16')],
  'br-0f3c2a1b9d4e': [iface('172.18.0.1', '172.18.0.1/16')],
};

describe('context rule', () => {
  it('loopback and localhost servers are local', () => {
    for (const s of ['https://127.0.0.1:6443', 'https://127.3.4.5:443', 'https://localhost:6443', 'https://[::1]:6443']) assert.ok(isLocalServer(s, HOST), s);
  });

  it('an address of a local interface is local; one in its subnet on a non-bridge interface is not', () => {
    assert.ok(isLocalServer('https://192.168.1.20:6443', HOST));
    assert.ok(!isLocalServer('https://192.168.1.21:6443', HOST), 'another machine on the LAN');
  });

  it('a node on a local container bridge (docker0, kind br-*) is local', () => {
    assert.ok(isLocalServer('https://172.17.0.2:6443', HOST));
    assert.ok(isLocalServer('https://172.18.0.3:6443', HOST));
    assert.ok(!isLocalServer('https://172.19.0.3:6443', HOST), 'no local bridge on 172.19/16');
  });

  it('remote addresses and host names other than localhost are not local', () => {
    for (const s of ['https://10.0.0.5:6443', 'https://api.prod.example.com:443', 'https://kind-control-plane.example:6443', 'not a url']) assert.ok(!isLocalServer(s, HOST), s);
  });

  it('kind-* and the local test cluster are allowed only with a local server; --allow-context overrides', () => {
    assert.ok(isContextAllowed('kind-shakedown', [], 'https://127.0.0.1:40000', HOST));
    assert.ok(isContextAllowed('shakedown-local', [], 'https://127.0.0.1:6443', HOST));
    assert.ok(!isContextAllowed('kind-prod', [], 'https://10.1.2.3:6443', HOST));
    assert.ok(!isContextAllowed('shakedown-local', [], 'https://api.example.com', HOST));
    assert.ok(isContextAllowed('kind-prod', ['kind-prod'], 'https://10.1.2.3:6443', HOST));
    assert.ok(!isContextAllowed('prod-eu-1', [], 'https://127.0.0.1:6443', HOST), 'a local server does not make any name a target');
  });

  it('CIDR arithmetic', () => {
    assert.ok(inCidr4('10.1.2.3', '10.0.0.0/8'));
    assert.ok(!inCidr4('11.1.2.3', '10.0.0.0/8'));
    assert.ok(inCidr4('1.2.3.4', '0.0.0.0/0'));
    assert.ok(inCidr4('172.18.255.255', '172.18.0.1/16'));
    assert.ok(!inCidr4('172.19.0.0', '172.18.0.1/16'));
  });
});
