// kind lifecycle, `shakedown up` and `shakedown down`: the logic lives in harness/kind, loaded
// only when these commands run.
import { Option, type Command } from 'commander';
import { collect, examples, type CommandContext } from './shared.ts';

export function addKindCommands(program: Command, { io, setExit }: CommandContext): void {
  program
    .command('up')
    .description('create the kind cluster from kind-config.yaml, install metrics-server (and Istio with --with istio), and wait until nodes, CoreDNS, StorageClass standard and the metrics API (and istiod) answer')
    .addOption(new Option('--name <name>', 'kind cluster name').default('shakedown'))
    .addOption(new Option('--config <file>', 'kind cluster config').default('kind-config.yaml'))
    .option('--image <ref>', 'kind node image (default: kind\'s own)')
    .option('--kind <path>', 'the kind binary (default: kind on PATH)')
    .option('--with <addon>', 'also install an add-on (istio), repeatable', collect)
    .option('--load <archive>', 'image archive to load into the nodes (kind load image-archive), repeatable', collect)
    .option('--metrics-server-image <ref>', 'metrics-server image (default registry.k8s.io/metrics-server/metrics-server:v0.8.0)')
    .option('--istioctl <path>', 'the istioctl binary for --with istio (default: istioctl on PATH)')
    .option('--istio-set <key=value>', 'passed to `istioctl install --set profile=minimal` as --set key=value, repeatable', collect)
    .addOption(new Option('--timeout <duration>', 'how long to wait for the cluster to answer').default('10m'))
    .addHelpText('after', examples(['shakedown up', 'shakedown up --name ci --load images/app.tar', 'shakedown up --with istio --istio-set values.pilot.autoscaleEnabled=false'], 'Exit codes: 0 up, 2 bad flag or missing config, 3 kind or istioctl missing or failed, or the cluster did not answer in time'))
    .action(async (opts: Parameters<typeof import('../../kind/lifecycle.ts').upCommand>[0]) => {
      setExit(await (await import('../../kind/lifecycle.ts')).upCommand(opts, io));
    });
  program
    .command('down')
    .description('delete a kind cluster that `shakedown up` made (its containers, network and kubeconfig entry)')
    .addOption(new Option('--name <name>', 'kind cluster name').default('shakedown'))
    .option('--kind <path>', 'the kind binary (default: kind on PATH)')
    .addHelpText('after', examples(['shakedown down', 'shakedown down --name ci'], 'Exit codes: 0 deleted, 2 not a cluster `shakedown up` made, 3 kind missing or failed'))
    .action(async (opts: { name: string; kind?: string }) => {
      setExit(await (await import('../../kind/lifecycle.ts')).downCommand(opts, io));
    });
}
