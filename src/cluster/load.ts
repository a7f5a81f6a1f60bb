// The one way every command reads a cluster file: parse (YAML or JSON), check each object's shape,
// settle the service CIDR, then check the values as the API server would. Errors throw; warnings
// come back for the caller to print (with --strict they are errors too).
import { InputError } from '../util/errors.ts';
import { tryParseCidr } from '../util/ipv4.ts';
import { DEFAULT_CONFIG } from './config.ts';
import { type LoadResult, parseClusterText } from './k8s-io.ts';
import { ioName, readInput } from '../util/stdio.ts';
import type { Cluster } from './model.ts';
import { type Problem, assertValidCluster } from './validate.ts';

export interface ClusterLoadOptions {
  /** --service-cidr: the service range when the file does not say (no ServiceCIDR objects). */
  serviceCidr?: string;
  /** --cluster-cidr: the pod range when the file does not say (a plain kubectl dump does not). */
  clusterCidr?: string;
  /** --strict: warnings are errors. */
  strict?: boolean;
}

export interface LoadedCluster {
  cluster: Cluster;
  skipped: Record<string, number>;
  warnings: Problem[];
}

export function loadCluster(file: string, opts: ClusterLoadOptions = {}): LoadedCluster {
  return parseCluster(readInput(file, 'file'), ioName(file), opts);
}

/** loadCluster on a text already read (`file` names it in messages). */
export function parseCluster(text: string, file: string, opts: ClusterLoadOptions = {}): LoadedCluster {
  const loaded = parseClusterText(text, file);
  const { cluster, skipped } = loaded;
  const service = settle('--service-cidr', 'service', serviceRangeInFile(loaded, file), opts.serviceCidr, DEFAULT_CONFIG.serviceCIDR, file);
  const pods = settle(
    '--cluster-cidr',
    'cluster (pod)',
    loaded.configFromFile ? { cidr: cluster.config.clusterCIDR, field: `${CONFIG_MAP}.data.clusterCIDR` } : undefined,
    opts.clusterCidr,
    DEFAULT_CONFIG.clusterCIDR,
    file,
  );
  cluster.config = { ...cluster.config, serviceCIDR: service.cidr, clusterCIDR: pods.cidr };
  const warnings = assertValidCluster(cluster, file, { defaulted: { serviceCIDR: service.defaulted, clusterCIDR: pods.defaulted } });
  if (opts.strict && warnings.length > 0) {
    const w = warnings[0];
    throw new InputError(`${w.message} (--strict)`, file, w.field, w.value);
  }
  return { cluster, skipped, warnings };
}

const CONFIG_MAP = 'ConfigMap kube-system/kpsim-cluster-config';
const NOT_A_CIDR = 'not a valid IPv4 CIDR (a.b.c.d/n, host bits zero)';

interface InFile {
  cidr: string;
  field: string;
}

/**
 * A range the file states, else the flag, else the default. A flag that contradicts the file is
 * bad input: which one is right cannot be told.
 */
function settle(
  flag: string,
  what: string,
  inFile: InFile | undefined,
  given: string | undefined,
  fallback: string,
  file: string,
): { cidr: string; defaulted: boolean } {
  if (given !== undefined && !tryParseCidr(given)) throw new InputError(NOT_A_CIDR, undefined, flag, given);
  if (inFile) {
    if (given !== undefined && given !== inFile.cidr)
      throw new InputError(
        `the cluster file sets the ${what} CIDR to ${inFile.cidr} (${inFile.field}); leave ${flag} out or make them agree`,
        file,
        flag,
        given,
      );
    return { cidr: inFile.cidr, defaulted: false };
  }
  return given !== undefined ? { cidr: given, defaulted: false } : { cidr: fallback, defaulted: true };
}

/**
 * The service range the file states: its ServiceCIDR objects (what `kubectl get servicecidrs -o json`
 * prints), else kpsim's own ConfigMap. Without either, --service-cidr, else kube-apiserver's
 * --service-cluster-ip-range as kubeadm sets it (10.96.0.0/12).
 */
function serviceRangeInFile(loaded: LoadResult, file: string): InFile | undefined {
  let fromObjects: InFile | undefined;
  for (const s of loaded.serviceCidrs) {
    if (!tryParseCidr(s.cidr)) throw new InputError(NOT_A_CIDR, file, s.field, s.cidr);
    if (fromObjects && fromObjects.cidr !== s.cidr)
      throw new InputError(
        `a second IPv4 service range besides ${fromObjects.cidr} (${fromObjects.field}): kpsim models one service CIDR`,
        file,
        s.field,
        s.cidr,
      );
    fromObjects ??= s;
  }
  const fromConfigMap = loaded.configFromFile
    ? { cidr: loaded.cluster.config.serviceCIDR, field: `${CONFIG_MAP}.data.serviceCIDR` }
    : undefined;
  if (fromObjects && fromConfigMap && fromObjects.cidr !== fromConfigMap.cidr)
    throw new InputError(
      `the ServiceCIDR objects say ${fromObjects.cidr}, kpsim's ConfigMap says ${fromConfigMap.cidr}`,
      file,
      fromObjects.field,
      fromObjects.cidr,
    );
  return fromObjects ?? fromConfigMap;
}
