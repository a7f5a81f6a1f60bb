// A model of the Linux kernel's IP Virtual Server, independent of Kubernetes.
export * from './types.ts';
export { svcHashKey, shHashKey, dhHashKey, hash32, IP_VS_SVC_TAB_BITS, IP_VS_SCHED_TAB_SIZE } from './hash.ts';
export { ServiceTable, type ServiceTableOptions } from './service-table.ts';
export { Ipvs, type DestSpec } from './ipvs.ts';
export { getScheduler } from './schedulers/index.ts';
export { formatIpvsadmList, compareServices, compareDests, protoName, msort, type IpvsadmOptions } from './ipvsadm.ts';
