// The CLI as a user meets it: a real child process, real exit codes, real messages.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
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

  it('--live-port that is not a port, or --live with --dry-run, exits 2 before any kubeconfig is read', async () => {
    const bad = await shakedown(['run', 'pod-delete', '--live-port', '99999'], { KUBECONFIG: join(tmp, 'missing') });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--live-port "99999" is not a port/);
    const dry = await shakedown(['run', 'pod-delete', '--live', '--dry-run']);
    assert.equal(dry.code, 2);
    assert.match(dry.stderr, /--live .* --dry-run/);
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

  it('--in-cluster outside a pod, malformed, or beside --context is bad input (exit 2), before any cluster is contacted', async () => {
    const outside = await shakedown(['run', 'pod-delete', '--set', 'workload=deployment/web', '--namespace', 'shop', '--in-cluster', 'shop/gd'], { KUBECONFIG: '/nonexistent' });
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /--in-cluster: this process does not run in a Kubernetes pod/);
    const bad = await shakedown(['run', 'pod-delete', '--in-cluster', 'gd']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--in-cluster "gd" must be <namespace>\/<serviceaccount>/);
    const both = await shakedown(['run', 'pod-delete', '--in-cluster', 'shop/gd', '--context', 'kind-x']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--in-cluster uses the pod's ServiceAccount, not a kubeconfig: drop --context and --allow-context/);
  });

  it('schedule prints a CronJob for a built-in; a file, a bad cron or an unknown parameter is exit 2', async () => {
    const ok = await shakedown(['schedule', 'pod-delete', '--cron', '@daily', '--set', 'workload=deployment/web', '--namespace', 'shop']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^kind: CronJob$/m);
    const file = await shakedown(['schedule', './my-exp.ts', '--cron', '@daily']);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /schedule runs a built-in experiment inside the harness image; ".\/my-exp.ts" is a file/);
    const cron = await shakedown(['schedule', 'pod-delete', '--cron', 'daily']);
    assert.equal(cron.code, 2);
    assert.match(cron.stderr, /--cron "daily" is not a cron schedule/);
    const param = await shakedown(['schedule', 'pod-delete', '--cron', '@daily', '--set', 'nope=1']);
    assert.equal(param.code, 2);
    assert.match(param.stderr, /nope/);
    const noCron = await shakedown(['schedule', 'pod-delete']);
    assert.equal(noCron.code, 2);
    assert.match(noCron.stderr, /--cron/);
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
    for (const cmd of [[], ['run'], ['list'], ['validate'], ['report'], ['cleanup'], ['rbac'], ['schedule']]) {
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

/**
 * A loopback port that counts the connections made to it: a kubeconfig pointing its server here
 * proves that bad input was refused before anything was contacted (a closed port would only
 * show up as a connection error, after the fact).
 */
async function witness(): Promise<{ server: string; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const srv: Server = createServer((sock) => {
    count++;
    sock.destroy();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { server: `https://127.0.0.1:${port}`, connections: () => count, close: () => new Promise((resolve) => srv.close(() => resolve())) };
}

describe('cli: bad input is exit 2 naming the field, before any kubeconfig is read or the cluster contacted', function () {
  this.timeout(120_000);
  let tmp: string;
  let w: Awaited<ReturnType<typeof witness>>;
  let good: string;
  let broken: string;
  let reports: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'shakedown-cli-input-'));
    w = await witness();
    reports = join(tmp, 'reports');
    // A kubeconfig shakedown would accept (kind-*, on loopback): only bad input keeps it away.
    good = join(tmp, 'kubeconfig');
    writeFileSync(
      good,
      `apiVersion: v1\nkind: Config\ncurrent-context: kind-witness\nclusters: [{name: w, cluster: {server: "${w.server}", insecure-skip-tls-verify: true}}]\n` +
        'users: [{name: u, user: {token: t}}]\n' +
        'contexts: [{name: kind-witness, context: {cluster: w, user: u}}, {name: kind-nocluster, context: {cluster: gone, user: u}}, {name: kind-nouser, context: {cluster: w, user: ghost}},\n' +
        '  {name: kind-anonymous, context: {cluster: w}}]\n',
    );
    // An unreadable kubeconfig: a flag refused with this one set was checked before it was read.
    broken = join(tmp, 'broken-kubeconfig');
    writeFileSync(broken, 'apiVersion: v1\nclusters: [\n');
  });
  after(async () => {
    await w.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the CLI against the witness and asserts exit 2, the message, and that nothing was contacted or written. */
  async function refused(args: string[], message: RegExp, kubeconfig = good) {
    const before = w.connections();
    const r = await shakedown(args, { KUBECONFIG: kubeconfig });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /kubeconfig .* cannot be read|ECONNREFUSED|fetch failed/, args.join(' '));
    assert.equal(w.connections(), before, `${args.join(' ')}: the API server was contacted`);
    assert.ok(!existsSync(reports), `${args.join(' ')}: reports were written`);
  }

  it('the witness answers a connection: a run that passes its checks does contact it', async () => {
    // Without this, a witness that never saw anything would make every "not contacted" hollow.
    const before = w.connections();
    const r = await shakedown(['cleanup', '--timeout', '10s'], { KUBECONFIG: good });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.ok(w.connections() > before, 'cleanup with good input reached the server');
  });

  it('a cross-field parameter rule: run and validate refuse it, naming the fields', async () => {
    await refused(['run', 'hpa-cpu', '--set', 'cpuRequest=300m', '--set', 'cpuLimit=200m', '--report-dir', reports], /parameter "cpuLimit": 200m is below cpuRequest 300m/);
    await refused(['validate', 'hpa-cpu', '--set', 'cpuRequest=300m', '--set', 'cpuLimit=200m'], /parameter "cpuLimit": 200m is below cpuRequest 300m/);
    await refused(['run', 'statefulset-identity', '--set', 'podManagementPolicy=Parallel', '--set', 'batch=5', '--report-dir', reports], /parameter "batch": is 5, but only 3 pod\(s\)/);
    await refused(['run', 'istio-mtls', '--set', 'consecutiveRounds=10', '--set', 'enforcedWithin=5s', '--report-dir', reports], /parameter "enforcedWithin"/);
    await refused(['run', 'hpa-cpu', '--set', 'hpa-cpu.sampleEvery=5m', '--report-dir', reports], /parameter "sampleEvery"/);
    await refused(['run', 'statefulset-identity', '--set', 'loadTimeout=5m', '--report-dir', reports], /parameter "loadTimeout"/);
  });

  it('a malformed cleanup --run-id, before the kubeconfig is read', async () => {
    for (const id of ['BAD', 'r123', 'rabcdefghij', 'r../../etc', 'abcdefghij', '']) {
      await refused(['cleanup', '--run-id', id], /--run-id ".*" is not a run id: one is "r" and 9 lowercase letters or digits/, broken);
    }
  });

  it('every malformed flag value of run and cleanup, before the kubeconfig is read', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const cases: [string[], RegExp][] = [
      [['run', 'hpa-cpu', '--timeout', 'soon'], /--timeout "soon" is not a duration/],
      [['run', 'hpa-cpu', '--timeout', '0s'], /--timeout 0s is out of range: must be between 1\.0s and 24h 00m/],
      [['run', 'hpa-cpu', '--timeout', '600h'], /--timeout 600h is out of range/],
      [['run', 'hpa-cpu', '--report-dir', file], /--report-dir .*a-file is not a directory/],
      [['run', 'hpa-cpu', '--report-dir', join(file, 'sub')], /--report-dir .*a-file\/sub cannot be created: .*a-file is not a directory/],
      [['run', 'hpa-cpu', '--report-dir', ''], /--report-dir is empty/],
      [['run', 'hpa-cpu', '--set', 'maxReplicas'], /--set "maxReplicas" must have the form key=value/],
      [['run', 'hpa-cpu', '--set', '=3'], /--set "=3" must have the form key=value/],
      [['run', 'hpa-cpu', '--set', 'maxReplicas=3', '--set', 'maxReplicas=4'], /--set maxReplicas is given twice/],
      [['cleanup', '--timeout', 'soon'], /--timeout "soon" is not a duration/],
      [['cleanup', '--timeout', '100h'], /--timeout 100h is out of range/],
      [['cleanup', '--report-dir', file], /--report-dir .*a-file is not a directory/],
      [['cleanup', '--journal', FIXTURE], /--journal needs --run-id/],
      [['cleanup', '--run-id', 'rabcdefghi', '--journal', join(tmp, 'nope.json')], /--journal: journal file not found: .*nope\.json/],
      [['cleanup', '--run-id', 'rabcdefghi', '--journal', FIXTURE], /--journal .* is the journal of run rme35pfrcl, not rabcdefghi/],
      [['report', FIXTURE, '--report-dir', file], /--report-dir .*a-file is not a directory/],
    ];
    for (const [args, message] of cases) await refused(args, message, broken);
  });

  it('a --context missing from the kubeconfig, or whose cluster or user entry is missing, names the context and what is missing', async () => {
    const cases: [string, RegExp][] = [
      ['kind-nope', /context "kind-nope" is not in the kubeconfig \(it has: kind-witness, kind-nocluster, kind-nouser, kind-anonymous\)/],
      ['kind-nocluster', /context "kind-nocluster" names cluster "gone", which is not in the kubeconfig \(it has: w\)/],
      ['kind-nouser', /context "kind-nouser" names user "ghost", which is not in the kubeconfig \(it has: u\)/],
      ['kind-anonymous', /context "kind-anonymous" names no user/],
    ];
    for (const [context, message] of cases) {
      await refused(['run', 'hpa-cpu', '--context', context, '--report-dir', reports], message);
      await refused(['cleanup', '--context', context, '--report-dir', reports], message);
    }
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
  it('rbac prints YAML for a run with no kubeconfig at all; bad input is exit 2, naming it, before any is read', async () => {
    const env = { KUBECONFIG: '/nonexistent' };
    const ok = await shakedown(['rbac', 'pod-delete', '--namespace', 'shop', '--set', 'workload=deployment/web', '--service-account', 'gameday'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^kind: ServiceAccount\n[\s\S]*name: gameday\n\s+namespace: shop$/m);
    assert.match(ok.stdout, /^kind: RoleBinding$/m);
    assert.doesNotMatch(ok.stdout, /ClusterRole/, "a user's Deployment needs nothing cluster-wide");
    for (const [args, says] of [
      [['rbac', 'nope'], /unknown experiment "nope"/],
      [['rbac', 'pod-delete', '--set', 'no_such_param=1'], /no_such_param/],
      [['rbac', 'pod-delete', '--service-account', 'Game_Day'], /--service-account "Game_Day" is not a valid name/],
      [['rbac'], /missing required argument/],
    ] as const) {
      const r = await shakedown([...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.doesNotMatch(r.stderr, /KUBECONFIG|\n\s+at /);
    }
  });
});
