import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../harness/engine/errors.ts';
import { fillPlaceholders, loadManifestFile, parseManifests, withLabels } from '../../../harness/manifests/load.ts';

const thrown = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  assert.fail('expected a UsageError');
};

describe('manifests', () => {
  it('parses several documents and skips empty ones', () => {
    const objs = parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n', 'x.yaml');
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), ['Service/a', 'Pod/b']);
  });

  it('names the file and document of malformed YAML', () => {
    const err = thrown(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [unclosed\n', 'broken.yaml'));
    assert.match(err.message, /broken\.yaml \(document 2\): malformed YAML/);
  });

  it('names the fields a document lacks', () => {
    assert.match(thrown(() => parseManifests('kind: Pod\nmetadata: {}\n', 'p.yaml')).message, /missing apiVersion, metadata\.name/);
    assert.match(thrown(() => parseManifests('- a\n- b\n', 'l.yaml')).message, /found a list/);
  });

  it('fills placeholders and refuses one without a value', () => {
    assert.deepEqual(fillPlaceholders({ name: '${name}', n: '${n}', label: '${name}-client' }, { name: 'web', n: 3 }, 'f.yaml'), { name: 'web', n: 3, label: 'web-client' });
    assert.match(thrown(() => fillPlaceholders({ image: '${imgae}' }, { image: 'x' }, 'f.yaml')).message, /placeholder \$\{imgae\} has no value/);
  });

  it('fills values into the parsed objects, so a value cannot change the structure', () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      env: [{name: DATA_DIR, value: "${mountPath}"}]\n      volumeMounts:\n        - name: data\n          mountPath: ${mountPath}\n';
    for (const evil of ['/data #x', '/data\nkind: Secret', '/d: {a: b}', "/d'; rm -rf /; '"]) {
      const [pod] = parseManifests(yaml, 'p.yaml', { mountPath: evil });
      const c = (pod!['spec'] as { containers: { env: { value: string }[]; volumeMounts: { mountPath: string }[] }[] }).containers[0]!;
      assert.equal(pod!.kind, 'Pod');
      assert.equal(c.volumeMounts[0]!.mountPath, evil);
      assert.equal(c.env[0]!.value, evil);
    }
  });

  it('reports an unreadable file', () => {
    assert.match(thrown(() => loadManifestFile('/nonexistent/m.yaml', {})).message, /cannot read manifest/);
  });

  it('labels an object and its pod template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shakedown-m-'));
    try {
      writeFileSync(join(dir, 'd.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {a: b}}\nspec:\n  template:\n    metadata: {}\n');
      const [d] = loadManifestFile(join(dir, 'd.yaml'), {});
      const labelled = withLabels(d!, { 'shakedown.io/run-id': 'r1' });
      assert.deepEqual(labelled.metadata.labels, { a: 'b', 'shakedown.io/run-id': 'r1' });
      assert.deepEqual((labelled['spec'] as { template: { metadata: { labels: object } } }).template.metadata.labels, { 'shakedown.io/run-id': 'r1' });
      assert.equal(d!.metadata.labels?.['shakedown.io/run-id'], undefined, 'the original is not modified');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
