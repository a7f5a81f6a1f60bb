import type { Command } from 'commander';
import { loadPlane, type PlaneSource } from '../../proxy/load-plane.ts';
import { allFormats, allModes, getMode } from '../../proxy/modes.ts';
import { InputError } from '../../util/errors.ts';
import { addClusterOptions, addPlaneOptions, printWarnings } from '../cluster-input.ts';
import { checkOneStdin } from '../options.ts';

const FORMATS = allFormats();
const PER_MODE = allModes()
  .map((m) => `${m.name}: ${m.formats.join(', ')}`)
  .join('; ');

export function registerRules(program: Command): void {
  const cmd = program
    .command('rules')
    .summary("print a node's data plane as the real tools show it")
    .description(
      "Print the data plane kube-proxy programs on one node: for iptables mode the filter and nat\ntables as `iptables-save` shows them (kube-proxy's KUBE-* chains plus its jump rules in the\nbuilt-in chains). The node is the KubeProxyConfiguration's hostnameOverride. With\n--iptables-save, a real node's dump is read and written back unchanged.",
    );
  addPlaneOptions(cmd)
    .option('--format <format>', `output format (default: the mode's first; ${PER_MODE})`)
    .option('--iptables-save <file>', 'read a real iptables-save dump instead of a cluster (- for standard input)');
  addClusterOptions(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim rules --cluster cluster.json --proxy-config kube-proxy.yaml\n  kpsim rules --cluster cluster.json --node node-2 --mode ipvs --format ipvsadm\n  kpsim rules --iptables-save node1.iptables',
    )
    .action((opts: PlaneSource & { format?: string }) => {
      if (opts.format !== undefined && !(FORMATS as readonly string[]).includes(opts.format)) {
        throw new InputError(`unknown format (expected ${FORMATS.join(', ')})`, undefined, '--format', opts.format);
      }
      checkOneStdin({ '--cluster': opts.cluster, '--proxy-config': opts.proxyConfig, '--iptables-save': opts.iptablesSave });
      const { plane, mode, warnings } = loadPlane(opts);
      printWarnings(opts.cluster ?? opts.iptablesSave, warnings);
      const own = getMode(mode).formats;
      const format = opts.format ?? own[0];
      if (!own.includes(format))
        throw new InputError(`the ${mode} mode has no ${format} output (formats: ${own.join(', ')})`, undefined, '--format', format);
      const text = plane.render(format);
      process.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
    });
}
