// The simulated clock's price list: every per-operation cost the simulator charges, each with
// its source. Values quoted from ../shared/reference/published-figures.json name the entry id.
// A scenario may override any constant in its `costModel` section.
import { z } from 'zod';
import { InputError } from '../util/errors.ts';

export interface CostModel {
  /** One iptables rule's matches tested on the packet path. */
  iptablesRuleNs: number;
  /** Kernel path of one packet outside the proxy rules (routing, bridge, hooks). */
  packetBaseNs: number;
  /** Fixed first-packet latency outside the rule walk (network, stack), for latency charts. */
  firstPacketBaseNs: number;
  /** One IPVS service-table hash probe (bucket head or chain step). */
  ipvsProbeNs: number;
  /** Scheduler pick of a real server and IPVS connection entry creation. */
  ipvsScheduleNs: number;
  /** Conntrack lookup of an existing flow (one hash lookup). */
  conntrackLookupNs: number;
  /** Conntrack entry creation for a new flow (allocation, both tuples hashed in). */
  conntrackInsertNs: number;
  /** One user/kernel context switch (userspace proxy: two per packet). */
  contextSwitchNs: number;
  /** Bytes copied per ns between kernel and user space. */
  copyBytesPerNs: number;
  /** Payload bytes per data packet (TCP MSS on a 1500-byte MTU). */
  packetBytes: number;
  /** iptables-restore cost per input line (whole-table rewrite). */
  iptablesRestoreLineNs: number;
  /** Legacy (pre-nft) iptables: per rule², from the kernel re-validating the whole table. */
  iptablesLegacyRuleSquaredNs: number;
  /** One netlink operation on IPVS (add/edit/delete a virtual or real server). */
  ipvsNetlinkOpNs: number;
  /** One ipset add/del. */
  ipsetOpNs: number;
  /** Userspace proxy: open or close one proxy port (socket, bind, listen, goroutine). */
  proxyPortOpNs: number;
  /** One `iptables` command invocation (fork/exec, lock), before the table copy. */
  iptablesInvocationNs: number;
  /** Packet journey: bridge forwarding plus the veth crossing into or out of a pod's network namespace. */
  vethHopNs: number;
  /** Packet journey: one-way latency between two nodes on the machines' network (switch, wire, NIC). */
  nodeNetworkNs: number;
  /** Packet journey: one-way latency between an external client (or upstream DNS) and a node. */
  externalNetworkNs: number;
  /** Packet journey: VXLAN encapsulation on the sending node (a second pass down the UDP/IP stack). */
  vxlanEncapNs: number;
  /** Packet journey: VXLAN decapsulation on the receiving node (a second pass up the UDP/IP stack). */
  vxlanDecapNs: number;
  /** Bytes VXLAN adds to every packet on the wire (outer Ethernet, IPv4, UDP and VXLAN headers). */
  vxlanOverheadBytes: number;
  /** Node NIC speed in bytes per ns, to price the bytes an encapsulation adds to the wire. */
  linkBytesPerNs: number;
}

export const DEFAULT_COST_MODEL: CostModel = {
  // tigera2019-cpu: 0.35 of a core for 1,000 new connections/s at 10,000 services with "about
  // 20,000 rules evaluated per new connection" -> 350 us / 20,000 rules = 17.5 ns per rule.
  // Cross-check, k8s-blog-2025-nftables-first-packet: iptables p50 272 us vs 12 us at 30,000
  // services, ~15,000 rules walked on average -> 17.3 ns per rule.
  iptablesRuleNs: 17.5,
  // Estimate: one core forwards about 1 Mpps on the plain Linux path (Cloudflare, "How to
  // receive a million packets per second", 2015).
  packetBaseNs: 1000,
  // k8s-blog-2025-nftables-first-packet: nftables (and IPVS) first-packet p50 is a flat 12 us
  // at every scale, i.e. the cost of everything but the rule walk.
  firstPacketBaseNs: 12000,
  // Estimate: one step of an ip_vs_svc_table chain compares protocol, address and port held in
  // one cache line of struct ip_vs_service; chains walked for every new connection stay in
  // L2, so a step is a pointer chase plus a compare, ~10 ns. The table has a fixed 256 buckets
  // (IP_VS_SVC_TAB_BITS 8), so steps grow as services/512 per lookup: cheap, not free.
  ipvsProbeNs: 10,
  // Estimate: scheduler pick plus ip_vs_conn_new (an allocation and a hash insert).
  ipvsScheduleNs: 300,
  // Estimate: one hash lookup with a cache miss.
  conntrackLookupNs: 100,
  // Estimate: nf_conntrack_alloc plus two hash inserts and the confirm step.
  conntrackInsertNs: 1000,
  // Li, Ding, Shen, "Quantifying the cost of context switch" (ExpCS 2007): 3.8 us direct+indirect.
  contextSwitchNs: 3800,
  // Estimate: 5 GB/s memcpy between socket buffers and user space.
  copyBytesPerNs: 5,
  packetBytes: 1448,
  // k8s96018-restore: 12.8 s for a 695,992-line iptables-restore -> 18.4 us per line.
  iptablesRestoreLineNs: 12.8e9 / 695992,
  // huawei2017-iptables-rule-add: 660 s at 40,000 rules and 18,000 s at 160,000 rules grow as
  // rules^2.4; one rules^2 coefficient (geometric mean of 660/40k^2 and 18000/160k^2) puts both
  // points within a factor of 1.4.
  iptablesLegacyRuleSquaredNs: Math.sqrt((660e9 / 40000 ** 2) * (18000e9 / 160000 ** 2)),
  // huawei2017-ipvs-rule-add: adding a VIP with its backends "~2 ms", flat in the number of
  // services; a VIP with 3 backends and its ipset entry is ~6 netlink operations.
  ipvsNetlinkOpNs: 300_000,
  ipsetOpNs: 300_000,
  // Estimate: socket(), bind(), listen() and starting the proxy loop.
  proxyPortOpNs: 100_000,
  // Estimate: fork/exec of iptables and taking the xtables lock.
  iptablesInvocationNs: 5_000_000,
  // Estimate: 1-2 us per veth hop with a Linux bridge (L. Abeni, T. Cucinotta, "An Investigation
  // of the Linux Virtual Networking Latencies", VHPC 2024, find veth pairs and namespaces add
  // little next to netfilter and repeated stack traversals); 2 us covers bridge + veth.
  vethHopNs: 2000,
  // Estimate: a one-way hop between machines in one datacenter (about 50 us round trip).
  nodeNetworkNs: 25_000,
  // Estimate: an external client in the same cloud region (about 1 ms round trip).
  externalNetworkNs: 500_000,
  // Estimate: VXLAN makes the packet go down the UDP/IP output path a second time; priced as one
  // more packetBaseNs (the 1 Mpps plain-path figure above).
  vxlanEncapNs: 1000,
  // Estimate: the receiving side's extra pass up the UDP/IP stack into the vxlan device, as above.
  vxlanDecapNs: 1000,
  // RFC 7348 section 5: outer Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8 = 50 bytes
  // (the reason flannel's VXLAN MTU is 1450 on a 1500-byte network).
  vxlanOverheadBytes: 50,
  // Estimate: a 10 Gbit/s NIC moves 1.25 bytes per ns.
  linkBytesPerNs: 1.25,
};

const overridesSchema = z
  .object(
    Object.fromEntries(Object.keys(DEFAULT_COST_MODEL).map((k) => [k, z.number().min(0).optional()])) as Record<
      keyof CostModel,
      z.ZodOptional<z.ZodNumber>
    >,
  )
  .strict();

/** Applies a scenario's `costModel` overrides; unknown names are errors. */
export function costModelWith(overrides: unknown, file?: string): CostModel {
  if (overrides === undefined) return { ...DEFAULT_COST_MODEL };
  const parsed = overridesSchema.safeParse(overrides, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw new InputError(
        `unknown cost-model constant ${issue.keys[0]} (known: ${Object.keys(DEFAULT_COST_MODEL).join(', ')})`,
        file,
        `costModel.${issue.keys[0]}`,
      );
    }
    throw new InputError(issue.message, file, `costModel.${issue.path.join('.')}`, (issue as { input?: unknown }).input);
  }
  const out = { ...DEFAULT_COST_MODEL };
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) out[k as keyof CostModel] = v;
  return out;
}
