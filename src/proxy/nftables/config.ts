// kube-proxy's `nftables:` section of KubeProxyConfiguration (v1alpha1
// KubeProxyNFTablesConfiguration). In nftables mode kube-proxy takes the masquerade mark bit
// and masqueradeAll from it, not from `iptables:` (pkg/proxy/apis/config/v1alpha1/conversion.go
// and defaults.go: masqueradeBit defaults to 14). The sync periods are accepted; the simulation
// schedules syncs from the configuration's common sync periods.
import { z } from 'zod';
import { schemaError } from '../../util/errors.ts';
import type { ConfigSectionParser } from '../config.ts';

export interface NftablesSection {
  masqueradeBit: number;
  /** null: not set here (the configuration's masqueradeAll applies). */
  masqueradeAll: boolean | null;
}

const sectionSchema = z
  .object({
    masqueradeBit: z.number().int().min(0).max(31).nullable().optional(),
    masqueradeAll: z.boolean().optional(),
    syncPeriod: z.string().optional(),
    minSyncPeriod: z.string().optional(),
  })
  .strict();

export const DEFAULT_NFTABLES_SECTION: NftablesSection = { masqueradeBit: 14, masqueradeAll: null };

export const nftablesSection: ConfigSectionParser = {
  key: 'nftables',
  parse(raw: unknown, file: string): NftablesSection {
    const r = sectionSchema.safeParse(raw ?? {}, { reportInput: true });
    if (!r.success) throw schemaError(r.error, file, 'nftables');
    return {
      masqueradeBit: r.data.masqueradeBit ?? DEFAULT_NFTABLES_SECTION.masqueradeBit,
      masqueradeAll: r.data.masqueradeAll ?? null,
    };
  },
};
