// Runs a plan of steps (probe.py) inside a throwaway network namespace: `unshare --net` starts
// the interpreter in a namespace of its own, with only a loopback device, which disappears when
// the process ends. Nothing here runs a netfilter tool in the host's namespace: every command of
// a plan is started by the process inside the new namespace, and the plan's first step checks
// that it is not the host's (another inode, no device but lo).
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROBE_SCRIPT = fileURLToPath(new URL('./probe.py', import.meta.url));

/** A step of probe.py (see its OPS table); `label` names the result. */
export type Step =
  | { op: 'check-sealed'; hostInode: number }
  | { op: 'sysctl'; path: string; value: string | number; optional?: boolean }
  | { op: 'read'; path: string; label?: string }
  /** nfacct counters, created over netlink as kube-proxy creates them (before rules name them). */
  | { op: 'nfacct-add'; names: string[]; label?: string }
  | { op: 'run'; argv: string[]; stdin?: string; stdoutTo?: string; allowFail?: boolean; label?: string }
  | {
      op: 'connect';
      label: string;
      src: string;
      /** [address, port] pairs, taken in turn; probe.py gives every connect of a plan its own source port and destination pair. */
      dsts: [string, number][];
      count: number;
      samples: number;
    }
  | {
      op: 'udp';
      label: string;
      mode: 'new' | 'same';
      src: string;
      dstBase: number;
      span: number;
      offset?: number;
      port: number;
      count: number;
      samples: number;
    };

export interface StepResult {
  op: string;
  label?: string;
  /** run */
  rc?: number;
  wallNs?: number | number[];
  cpuNs?: number;
  stdout?: string;
  stderr?: string;
  /** connect, udp: per-operation ns of each sample */
  threadNs?: number[];
  count?: number;
  received?: number;
  /** connect, udp: this thread's user and system CPU over the whole step (for the kernel's share) */
  userNs?: number;
  sysNs?: number;
  /** read */
  text?: string | null;
}

export class NamespaceError extends Error {}

/** The inode of this process's network namespace (a plan refuses to run in it). */
export function hostNetnsInode(): number {
  return statSync('/proc/self/ns/net').ino;
}

/**
 * Runs `steps` in a new network namespace and returns their results. Rejects with the probe's
 * message when a step fails, or when the whole plan takes longer than `timeoutMs` (it is killed).
 */
export function runInNamespace(python: string, steps: Step[], timeoutMs: number): Promise<StepResult[]> {
  const plan = JSON.stringify({ steps: [{ op: 'check-sealed', hostInode: hostNetnsInode() }, ...steps] });
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--net', '--', python, '-I', PROBE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new NamespaceError(`the namespace run took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new NamespaceError(`cannot start unshare: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let answer: { ok: boolean; error?: string; results?: StepResult[] } | null = null;
      try {
        answer = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        /* reported below */
      }
      if (answer?.ok && answer.results) resolve(answer.results.slice(1));
      else reject(new NamespaceError(answer?.error ?? `the namespace run ended with code ${code}: ${(err || out).trim().slice(0, 600)}`));
    });
    child.stdin.end(plan);
  });
}
