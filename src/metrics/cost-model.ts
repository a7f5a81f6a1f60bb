// The simulated clock's price list: every per-operation cost the simulator charges, each with
// its source. Values quoted from ../shared/reference/published-figures.json name the entry id.
// Core constants (the packet path, conntrack, the pod network) are here; netfilter's are in
// src/netfilter/costs.ts and each proxy mode's in its own folder (descriptor.costs). A scenario
// may override any constant in its `costModel` section.
import { z } from 'zod';
import { type CostTable, valuesOf } from '../engine/prices.ts';
import { NETFILTER_COSTS } from '../netfilter/costs.ts';
import { allModes } from '../proxy/modes.ts';
import { InputError } from '../util/errors.ts';

export const CORE_COSTS = {
  packetBaseNs: {
    value: 1000,
    unit: 'ns',
    source:
      'Estimate: one core forwards about 1 Mpps on the plain Linux path (Cloudflare, "How to receive a million packets per second", 2015)',
  },
  firstPacketBaseNs: {
    value: 12000,
    unit: 'ns',
    source:
      'k8s-blog-2025-nftables-first-packet: nftables (and IPVS) first-packet p50 is a flat 12 µs at every scale, i.e. the cost of everything but the rule walk',
  },
  conntrackLookupNs: { value: 100, unit: 'ns', source: 'Estimate: one hash lookup with a cache miss' },
  conntrackInsertNs: { value: 1000, unit: 'ns', source: 'Estimate: nf_conntrack_alloc plus two hash inserts and the confirm step' },
  contextSwitchNs: {
    value: 3800,
    unit: 'ns',
    source: 'Li, Ding, Shen, "Quantifying the cost of context switch" (ExpCS 2007): 3.8 µs direct+indirect',
  },
  copyBytesPerNs: { value: 5, unit: 'bytes/ns', source: 'Estimate: 5 GB/s memcpy between socket buffers and user space' },
  packetBytes: { value: 1448, unit: 'bytes', source: 'TCP MSS on a 1500-byte MTU with timestamps (1500 - 20 - 20 - 12)' },
  vethHopNs: {
    value: 2000,
    unit: 'ns',
    source:
      'Estimate: 1-2 µs per veth hop with a Linux bridge (L. Abeni, T. Cucinotta, "An Investigation of the Linux Virtual Networking Latencies", VHPC 2024); 2 µs covers bridge + veth',
  },
  nodeNetworkNs: {
    value: 25_000,
    unit: 'ns',
    source: 'Estimate: a one-way hop between machines in one datacenter (about 50 µs round trip)',
  },
  externalNetworkNs: {
    value: 500_000,
    unit: 'ns',
    source: 'Estimate: an external client in the same cloud region (about 1 ms round trip)',
  },
  vxlanEncapNs: {
    value: 1000,
    unit: 'ns',
    source: 'Estimate: VXLAN sends the packet down the UDP/IP output path a second time: one more packetBaseNs',
  },
  vxlanDecapNs: { value: 1000, unit: 'ns', source: "Estimate: the receiving side's extra pass up the UDP/IP stack into the vxlan device" },
  vxlanOverheadBytes: {
    value: 50,
    unit: 'bytes',
    source: "RFC 7348 section 5: outer Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8 (why flannel's VXLAN MTU is 1450)",
  },
  linkBytesPerNs: { value: 1.25, unit: 'bytes/ns', source: 'Estimate: a 10 Gbit/s NIC moves 1.25 bytes per ns' },
} as const satisfies CostTable;

type Named<T> = { readonly [K in keyof T]: number };

/** A full price list: the core and netfilter constants by name, plus every mode's own. */
export type CostModel = Named<typeof CORE_COSTS> & Named<typeof NETFILTER_COSTS> & Readonly<Record<string, number>>;

/** Every constant with its unit and source: core, netfilter, then each registered mode's. */
export function costSources(): CostTable {
  const out: Record<string, CostTable[string]> = { ...CORE_COSTS, ...NETFILTER_COSTS };
  for (const m of allModes()) {
    for (const [name, c] of Object.entries(m.costs)) {
      if (Object.hasOwn(out, name)) throw new Error(`cost constant ${name} of mode ${m.name} is already defined`);
      out[name] = c;
    }
  }
  return out;
}

export const DEFAULT_COST_MODEL: CostModel = valuesOf(costSources()) as CostModel;

/** Applies a scenario's `costModel` overrides; unknown names are errors. */
export function costModelWith(overrides: unknown, file?: string): CostModel {
  if (overrides === undefined) return { ...DEFAULT_COST_MODEL };
  const names = Object.keys(DEFAULT_COST_MODEL);
  const schema = z.object(Object.fromEntries(names.map((k) => [k, z.number().min(0).optional()]))).strict();
  const parsed = schema.safeParse(overrides, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw new InputError(`unknown cost-model constant ${issue.keys[0]} (known: ${names.join(', ')})`, file, `costModel.${issue.keys[0]}`);
    }
    throw new InputError(issue.message, file, `costModel.${issue.path.join('.')}`, (issue as { input?: unknown }).input);
  }
  const out: Record<string, number> = { ...DEFAULT_COST_MODEL };
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) out[k] = v;
  return out as CostModel;
}
