// The environment of kube-proxy's nftables unit tests (pkg/proxy/nftables/proxier_test.go,
// NewFakeProxier): the iptables tests' node and objects (kube-proxy-test-env.ts), plus what
// the nftables fake proxier sets differently: nodePortAddresses [192.168.0.2/32] and the
// service CIDR 172.30.0.0/16 (ServiceCIDR objects; here the cluster's serviceCIDR).
import { configMapFor } from '../../src/cluster/k8s-io.ts';
import { DEFAULT_CONFIG } from '../../src/cluster/config.ts';
import type { Cluster } from '../../src/cluster/model.ts';
import { parseKubeProxyConfig } from '../../src/proxy/config.ts';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import type { NftablesDataPlane } from '../../src/proxy/nftables/data-plane.ts';
import { makeCluster, testNodeIP, testNodeName } from './kube-proxy-test-env.ts';

export const SERVICE_CIDR = '172.30.0.0/16';

export function nftConfig(overrides: Record<string, unknown> = {}) {
  return parseKubeProxyConfig({
    hostnameOverride: testNodeName,
    clusterCIDR: '10.0.0.0/8',
    nodePortAddresses: [`${testNodeIP}/32`],
    ...overrides,
  });
}

export function nftCluster(objects: unknown[]): Cluster {
  return makeCluster([...objects, configMapFor({ ...DEFAULT_CONFIG, serviceCIDR: SERVICE_CIDR })]);
}

/** NewFakeProxier + makeServiceMap + populateEndpointSlices + syncProxyRules, through the descriptor. */
export function nftPlane(objects: unknown[], overrides: Record<string, unknown> = {}): NftablesDataPlane {
  return nftablesMode.build(nftCluster(objects), nftConfig(overrides)) as NftablesDataPlane;
}

// kube-proxy's sortNFTablesTransaction (helpers_test.go), re-implemented: blank and comment
// lines dropped; lines sorted by object type (table, chain, rule, set, map, element), then by
// object name; rules keep their order within a chain, other lines of one object sort by text.
const OBJECT_ORDER: Record<string, number> = { table: 10, chain: 9, rule: 8, set: 7, map: 6, element: 5 };

export function sortNFTablesTransaction(tx: string): string {
  const lines = tx.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return lines
    .map((l, i) => ({ l, w: l.split(' '), i }))
    .sort((a, b) => {
      if (a.w.length < 5 || b.w.length < 5) return a.i - b.i;
      const ta = OBJECT_ORDER[a.w[1]] ?? 0;
      const tb = OBJECT_ORDER[b.w[1]] ?? 0;
      if (ta !== tb) return tb - ta;
      if (a.w[4] !== b.w[4]) return a.w[4] < b.w[4] ? -1 : 1;
      if (a.w[1] === 'rule') return a.i - b.i;
      return a.l < b.l ? -1 : a.l > b.l ? 1 : a.i - b.i;
    })
    .map((x) => x.l)
    .join('\n');
}

/** dedent: the expected texts below are indented like the Go test's raw strings. */
export function dedent(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .join('\n');
}
