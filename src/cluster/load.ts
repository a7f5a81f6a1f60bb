// The one way every command reads a cluster file: parse (YAML or JSON), check each object's shape,
// settle the service CIDR, then check the values as the API server would. Errors throw; warnings
// come back for the caller to print (with --strict they are errors too).
import { InputError } from '../util/errors.ts';
import { tryParseCidr } from '../util/ipv4.ts';
import { DEFAULT_CONFIG } from './config.ts';
import { type LoadResult, parseClusterText } from './k8s-io.ts';
import { readTextFile } from '../util/data-text.ts';
import type { Cluster } from './model.ts';
import { type Problem, assertValidCluster } from './validate.ts';

export interface ClusterLoadOptions {
  /** --service-cidr: the service range when the file does not say (no ServiceCIDR objects). */
  serviceCidr?: string;
  /** --strict: warnings are errors. */
  strict?: boolean;
}

export interface LoadedCluster {
  cluster: Cluster;
  skipped: Record<string, number>;
  warnings: Problem[];
}

export function loadCluster(file: string, opts: ClusterLoadOptions = {}): LoadedCluster {
  return parseCluster(readTextFile(file), file, opts);
}

/** loadCluster on a text already read (`file` names it in messages). */
export function parseCluster(text: string, file: string, opts: ClusterLoadOptions = {}): LoadedCluster {
  const loaded = parseClusterText(text, file);
  const { cluster, skipped } = loaded;
  cluster.config = { ...cluster.config, serviceCIDR: serviceCidrOf(loaded, file, opts.serviceCidr) };
  const warnings = assertValidCluster(cluster, file, { clusterCidrKnown: loaded.configFromFile });
  if (opts.strict && warnings.length > 0) {
    const w = warnings[0];
    throw new InputError(`${w.message} (--strict)`, file, w.field, w.value);
  }
  return { cluster, skipped, warnings };
}

/**
 * The cluster's service range: its ServiceCIDR objects (what `kubectl get servicecidrs -o json`
 * prints), else kpsim's own ConfigMap, else --service-cidr, else kube-apiserver's default
 * --service-cluster-ip-range as kubeadm sets it (10.96.0.0/12). A flag that contradicts the file is
 * bad input: which one is right cannot be told.
 */
function serviceCidrOf(loaded: LoadResult, file: string, flag: string | undefined): string {
  if (flag !== undefined && !tryParseCidr(flag))
    throw new InputError('not a valid IPv4 CIDR (a.b.c.d/n, host bits zero)', undefined, '--service-cidr', flag);
  let fromFile: { cidr: string; field: string } | undefined;
  for (const s of loaded.serviceCidrs) {
    if (!tryParseCidr(s.cidr)) throw new InputError('not a valid IPv4 CIDR (a.b.c.d/n, host bits zero)', file, s.field, s.cidr);
    if (fromFile && fromFile.cidr !== s.cidr)
      throw new InputError(
        `a second IPv4 service range besides ${fromFile.cidr} (${fromFile.field}): kpsim models one service CIDR`,
        file,
        s.field,
        s.cidr,
      );
    fromFile ??= s;
  }
  if (fromFile && loaded.configFromFile && loaded.cluster.config.serviceCIDR !== fromFile.cidr)
    throw new InputError(
      `the ServiceCIDR objects say ${fromFile.cidr}, kpsim's ConfigMap says ${loaded.cluster.config.serviceCIDR}`,
      file,
      fromFile.field,
      fromFile.cidr,
    );
  if (!fromFile && loaded.configFromFile)
    fromFile = { cidr: loaded.cluster.config.serviceCIDR, field: 'ConfigMap kube-system/kpsim-cluster-config.data.serviceCIDR' };
  if (fromFile) {
    if (flag !== undefined && flag !== fromFile.cidr)
      throw new InputError(
        `the cluster file sets the service CIDR to ${fromFile.cidr} (${fromFile.field}); leave --service-cidr out or make them agree`,
        file,
        '--service-cidr',
        flag,
      );
    return fromFile.cidr;
  }
  return flag ?? DEFAULT_CONFIG.serviceCIDR;
}
