// The CLI as a user meets it: a real child process, real exit codes, real messages.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const BIN = fileURLToPath(new URL('../../../harness/cli/bin.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/journal-hpa-cpu.json', import.meta.url));

async function shakedown(args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, env: { CI: 'true', ...env }, timeout: 60_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

describe('cli', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'shakedown-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('list shows the four experiments', async () => {
    const r = await shakedown(['list']);
    assert.equal(r.code, 0);
    for (const name of ['statefulset-identity', 'hpa-cpu', 'istio-mtls', 'pod-delete']) assert.match(r.stdout, new RegExp(`^${name}$`, 'm'));
  });

  it('an unknown --set parameter exits 2 and names it', async () => {
    const r = await shakedown(['run', 'hpa-cpu', '--set', 'no_such_param=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no_such_param/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('an ill-typed --set exits 2 and names the field', async () => {
    const r = await shakedown(['run', 'statefulset-identity', '--set', 'replicas=three', '--dry-run']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parameter "replicas"/);
  });

  it('an unknown experiment exits 2 and lists the known ones', async () => {
    const r = await shakedown(['run', 'pod-kill']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown experiment "pod-kill" \(known: statefulset-identity, hpa-cpu, istio-mtls, pod-delete; a file of your own is named by its path, e\.g\. \.\/pod-kill\.ts\)/);
  });

  it('an unknown flag exits 2', async () => {
    assert.equal((await shakedown(['run', '--no-such-flag'])).code, 2);
  });

  it('run --dry-run prints the plan with no kubeconfig at all and exits 0', async () => {
    const r = await shakedown(['run', 'statefulset-identity', '--dry-run'], { KUBECONFIG: '/nonexistent' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for statefulset-identity/);
    assert.match(r.stdout, /\[fault\] delete-pod/);
    assert.match(r.stdout, /shakedown\.io\/run-id=/);
  });

  it('run --all --dry-run --json prints a machine-readable plan for every experiment', async () => {
    const r = await shakedown(['run', '--all', '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plans = JSON.parse(r.stdout) as { experiment: string }[];
    assert.deepEqual(plans.map((p) => p.experiment), ['statefulset-identity', 'hpa-cpu', 'istio-mtls', 'pod-delete']);
  });

  it('a missing kubeconfig is bad input (exit 2), found before any cluster is contacted', async () => {
    const r = await shakedown(['run', 'statefulset-identity'], { KUBECONFIG: '/nonexistent' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /KUBECONFIG=\/nonexistent names no existing file/);
  });

  it('a malformed YAML kubeconfig exits 2 with a clear message', async () => {
    const kc = join(tmp, 'broken-kubeconfig');
    writeFileSync(kc, 'apiVersion: v1\nclusters: [\n  - name: x\n');
    const r = await shakedown(['run', 'hpa-cpu'], { KUBECONFIG: kc });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /kubeconfig .*broken-kubeconfig cannot be read/);
  });

  it('a context that is neither kind-* nor the local test cluster is refused without --allow-context', async () => {
    const kc = join(tmp, 'prod-kubeconfig');
    writeFileSync(
      kc,
      'apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}]\n' +
        'users: [{name: u, user: {token: secret-token}}]\ncontexts: [{name: prod, context: {cluster: prod, user: u}}]\n',
    );
    const r = await shakedown(['run', 'hpa-cpu'], { KUBECONFIG: kc });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /context "prod" is not a kind or local test cluster.*--allow-context prod/);
  });

  it('a kind-* context whose server is not on this machine is refused, naming context and server', async () => {
    const kc = join(tmp, 'remote-kind-kubeconfig');
    writeFileSync(
      kc,
      'apiVersion: v1\nkind: Config\ncurrent-context: kind-prod\nclusters: [{name: p, cluster: {server: "https://203.0.113.7:6443"}}]\n' +
        'users: [{name: u, user: {token: secret-token}}]\ncontexts: [{name: kind-prod, context: {cluster: p, user: u}}]\n',
    );
    const r = await shakedown(['run', 'hpa-cpu'], { KUBECONFIG: kc });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /context "kind-prod" .*server https:\/\/203\.0\.113\.7:6443 is not on this machine.*--allow-context kind-prod/);
    assert.doesNotMatch(r.stderr, /secret-token/);
  });

  it('report on a missing journal exits 2 and names the file', async () => {
    const r = await shakedown(['report', join(tmp, 'nope.json'), '--report-dir', join(tmp, 'out')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.json/);
  });

  it('report rebuilds all four files from the sample journal alone', async () => {
    const out = join(tmp, 'rebuilt');
    const r = await shakedown(['report', FIXTURE, '--report-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['journal.json', 'junit.xml', 'report.md', 'report.html']) assert.ok(existsSync(join(out, f)), f);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
  });

  it('validate checks every experiment\'s parameters and manifests', async () => {
    const r = await shakedown(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /statefulset-identity: ok/);
    assert.match(r.stdout, /hpa-cpu: ok/);
    assert.match(r.stdout, /istio-mtls: ok/);
  });

  it('--help works for every command', async () => {
    for (const cmd of [[], ['run'], ['list'], ['validate'], ['report'], ['cleanup']]) {
      const r = await shakedown([...cmd, '--help']);
      assert.equal(r.code, 0, cmd.join(' '));
      assert.match(r.stdout, /Usage: shakedown/);
    }
  });

  it('each command\'s --help has its usage line, examples and exit codes, and only the flags it uses', async () => {
    const flags = { run: ['--set', '--context', '--timeout', '--dry-run', '--all', '--json', '--report-dir'], validate: ['--set', '--namespace'], cleanup: ['--run-id', '--context', '--timeout', '--force', '--journal', '--report-dir'], report: ['--report-dir'], list: ['--json'] };
    const notUsed = { validate: ['--context', '--timeout', '--report-dir', '--json'], cleanup: ['--set', '--namespace', '--json'] };
    for (const [cmd, expected] of Object.entries(flags)) {
      const r = await shakedown([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^Usage: shakedown ${cmd} `, 'm'), cmd);
      assert.match(r.stdout, new RegExp(`^Examples:\\n  shakedown ${cmd}`, 'm'), `${cmd}: examples`);
      assert.match(r.stdout, /^Exit codes:\s+0 /m, `${cmd}: exit codes`);
      for (const f of expected) assert.match(r.stdout, new RegExp(`^  ${f}\\b`, 'm'), `${cmd} --help lists ${f}`);
      for (const f of notUsed[cmd as keyof typeof notUsed] ?? []) assert.doesNotMatch(r.stdout, new RegExp(`^  ${f}\\b`, 'm'), `${cmd} --help lists ${f}, which it does not use`);
      assert.doesNotMatch(r.stdout, /\(default: \[\]\)/, `${cmd}: no "(default: [])" on repeatable flags`);
    }
  });

  it('--help lists every command with examples, KUBECONFIG and every exit code', async () => {
    const r = await shakedown(['--help']);
    assert.match(r.stdout, /^Usage: shakedown <command> \[options\]$/m);
    for (const cmd of ['list', 'validate', 'run', 'report', 'cleanup']) assert.match(r.stdout, new RegExp(`^  ${cmd}\\b`, 'm'), cmd);
    assert.match(r.stdout, /^Examples:$/m);
    assert.match(r.stdout, /^ {2}KUBECONFIG /m);
    for (const code of ['0', '1', '2', '3']) assert.match(r.stdout, new RegExp(`^  ${code} +\\S`, 'm'), `exit code ${code}`);
    assert.match(r.stdout, /129, 130, 143/);
  });

  it('--version and -V print the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await shakedown([flag]);
      assert.equal(r.code, 0, flag);
      assert.equal(r.stdout, version, flag);
      assert.equal(r.stderr, '');
    }
  });

  it('a mistyped command exits 2 with one line that suggests the closest one', async () => {
    for (const [typo, meant] of [['rn', 'run'], ['lst', 'list'], ['valdate', 'validate'], ['cleanpu', 'cleanup']]) {
      const r = await shakedown([typo!, 'statefulset-identity']);
      assert.equal(r.code, 2, typo);
      assert.equal(r.stderr, `shakedown: error: unknown command '${typo}' (did you mean ${meant}?); see 'shakedown --help'`);
      assert.equal(r.stdout, '');
    }
  });

  it('a command with no likeness, a mistyped flag and a missing argument each get one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^shakedown: error: unknown command 'frobnicate'; see 'shakedown --help'$/],
      [['run', 'hpa-cpu', '--dry-rn'], /^shakedown: error: unknown option '--dry-rn' \(did you mean --dry-run\?\); see 'shakedown run --help'$/],
      [['report'], /^shakedown: error: missing required argument 'journal'; see 'shakedown report --help'$/],
      [['run', 'hpa-cpu', '--timeout'], /^shakedown: error: option '--timeout <duration>' argument missing; see 'shakedown run --help'$/],
    ];
    for (const [args, expected] of cases) {
      const r = await shakedown(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, expected);
    }
  });

  it('no command at all is bad usage: the help on stderr, exit 2', async () => {
    const r = await shakedown([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: shakedown <command>/);
  });
});

describe('cli against an unreachable cluster', function () {
  this.timeout(60_000);
  it('is an error verdict (exit 3) found in preflight, with the reason in junit.xml', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'shakedown-unreachable-'));
    try {
      const kc = join(tmp, 'kubeconfig');
      // Port 1 on loopback: nothing listens there, so the connection is refused at once.
      writeFileSync(
        kc,
        'apiVersion: v1\nkind: Config\ncurrent-context: kind-gone\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\n' +
          'users: [{name: u, user: {token: do-not-leak-this-token}}]\ncontexts: [{name: kind-gone, context: {cluster: gone, user: u}}]\n',
      );
      const r = await shakedown(['run', 'hpa-cpu', '--report-dir', join(tmp, 'reports')], { KUBECONFIG: kc });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /verdict=error PREFLIGHT error in preflight: the API server https:\/\/127\.0\.0\.1:1/);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
      const [dir] = readdirSync(join(tmp, 'reports'));
      const junit = readFileSync(join(tmp, 'reports', dir!, 'junit.xml'), 'utf8');
      assert.match(junit, /<error[^>]*type="PREFLIGHT"/);
      for (const f of ['journal.json', 'junit.xml', 'report.md', 'report.html']) {
        assert.doesNotMatch(readFileSync(join(tmp, 'reports', dir!, f), 'utf8'), /do-not-leak-this-token/, `${f} leaks the kubeconfig token`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
