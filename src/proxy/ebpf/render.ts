// The maps as Cilium's CLI prints them: `cilium-dbg service list` (one row per frontend with its
// numbered backends, as in kubeproxy-free.rst "Validate the Setup"), `cilium-dbg bpf lb list`
// (one row per cilium_lb4_services_v2 entry: slot 0 is the service, "0.0.0.0:0" with its flags)
// and `cilium-dbg bpf lb list --backends`. Cilium dumps the hash maps in hash order; kpsim sorts
// by frontend ID and slot so that the output is reproducible.
import { formatIPv4 } from '../../util/ipv4.ts';
import { serviceProtocolName } from '../../util/proto.ts';
import { FE_CLUSTER_IP, FE_TYPE_NAMES } from './frontends.ts';
import type { LbMaps } from './lb-maps.ts';
import { SCOPE_INT, SVC_AFFINITY, SVC_SOURCE_RANGE, SVC_TWO_SCOPES, V_BACKEND_OR_TIMEOUT, V_COUNT, V_FLAGS, V_REVNAT } from './lb-maps.ts';

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));

function backendText(lb: LbMaps, id: number): string {
  const b = lb.backendById.get(id);
  return b ? `${formatIPv4(b.addr)}:${b.port}/${serviceProtocolName(b.proto)}` : `<backend ${id} missing>`;
}

function installedById(lb: LbMaps) {
  return [...lb.installed.values()].sort((a, b) => a.id - b.id);
}

export function renderServiceList(lb: LbMaps): string {
  const lines = [`${pad('ID', 5)}${pad('Frontend', 27)}${pad('Service Type', 15)}Backend`];
  for (const inst of installedById(lb)) {
    const ids = [...new Set([...inst.ext, ...(inst.int ?? [])])];
    const head = `${pad(String(inst.id), 5)}${pad(inst.fe.key, 27)}${pad(FE_TYPE_NAMES[inst.fe.type], 15)}`;
    if (ids.length === 0) {
      lines.push(head.trimEnd());
      continue;
    }
    ids.forEach((id, i) => {
      const row = `${i + 1} => ${backendText(lb, id)} (active)`;
      lines.push(i === 0 ? head + row : ' '.repeat(head.length) + row);
    });
  }
  return `${lines.join('\n')}\n`;
}

export function renderLbList(lb: LbMaps): string {
  const m = lb.services;
  const rows: { id: number; scope: number; slot: number; text: string }[] = [];
  for (const e of m.elements()) {
    const addr = m.keyWord(e, 0) >>> 0;
    const port = m.keyWord(e, 1) & 0xffff;
    const slot = m.keyWord(e, 1) >>> 16;
    const proto = m.keyWord(e, 2) & 0xff;
    const scope = m.keyWord(e, 2) >>> 8;
    const v = e * 4;
    const revNat = m.vals[v + V_REVNAT];
    const svc = `${formatIPv4(addr)}:${port}/${serviceProtocolName(proto)}${scope === SCOPE_INT ? '/i' : ''} (${slot})`;
    let backend: string;
    if (slot === 0) {
      const flags = m.vals[v + V_FLAGS];
      const type = flags >>> 8;
      const notes: string[] = [FE_TYPE_NAMES[type]];
      if (type === FE_CLUSTER_IP) notes.push('non-routable');
      if (flags & SVC_TWO_SCOPES) notes.push('two-scopes');
      if (flags & SVC_AFFINITY) notes.push(`sessionAffinity ${m.vals[v + V_BACKEND_OR_TIMEOUT]}s`);
      if (flags & SVC_SOURCE_RANGE) notes.push('check source-range');
      backend = `0.0.0.0:0 (${revNat}) (0) [${notes.join(', ')}] count ${m.vals[v + V_COUNT]}`;
    } else backend = `${backendText(lb, m.vals[v + V_BACKEND_OR_TIMEOUT])} (${revNat}) (${slot})`;
    rows.push({ id: revNat, scope, slot, text: `${pad(svc, 33)}${backend}` });
  }
  rows.sort((a, b) => a.id - b.id || a.scope - b.scope || a.slot - b.slot);
  return `${[`${pad('SERVICE ADDRESS', 33)}BACKEND ADDRESS (REVNAT_ID) (SLOT)`, ...rows.map((r) => r.text)].join('\n')}\n`;
}

export function renderBackendList(lb: LbMaps): string {
  const ids = [...lb.backendById.keys()].sort((a, b) => a - b);
  return `${[`${pad('BACKEND ID', 13)}ADDRESS`, ...ids.map((id) => `${pad(String(id), 13)}${backendText(lb, id)}`)].join('\n')}\n`;
}
