// A sweep run as a Kubernetes Indexed Job (docs/distributed.md): the example manifests say what
// the recipe says, and `--shard auto/N` with the JOB_COMPLETION_INDEX each pod gets (0 to N-1)
// splits a sweep into shards that merge into the run one machine would have made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kpsim, ROOT, tempDir } from '../helpers/cli.ts';
import { simulatedRows } from '../helpers/results.ts';

const SCENARIO = 'test/fixtures/scenarios/tiny-sweep.yaml';

// The few fields of the Kubernetes objects the checks read.
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy: string;
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimitPerIndex?: number;
    podFailurePolicy?: { rules: { action: string; onExitCodes?: { containerName?: string; values: number[] } }[] };
    accessModes?: string[];
    template: { spec: PodSpec };
  };
}

function manifest(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'docs/examples', file), 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors, [], `${file}: not valid YAML`);
  return docs.map((d) => d.toJS() as K8sObject);
}

/** The container's command line as one text: command and args, each a word or a script. */
function commandLine(c: Container): string {
  return [...(c.command ?? []), ...(c.args ?? [])].join(' ');
}

/** The claim a container's mount at `path` comes from. */
function claimAt(spec: PodSpec, c: Container, path: string): string | undefined {
  const mount = c.volumeMounts?.find((m) => m.mountPath === path);
  return spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
}

test('docs/examples/kpsim-sweep-job.yaml is an Indexed Job whose pods run --shard auto/N, N = completions', () => {
  const objects = manifest('kpsim-sweep-job.yaml');
  const jobs = objects.filter((o) => o.kind === 'Job');
  assert.equal(jobs.length, 1, 'one Job');
  const job = jobs[0];
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.spec.completionMode, 'Indexed');
  const n = job.spec.completions;
  assert.ok(Number.isInteger(n) && n! >= 1, `completions: ${n}`);
  const parallelism = job.spec.parallelism ?? 1;
  assert.ok(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= n!, `parallelism: ${parallelism}`);

  const pod = job.spec.template.spec;
  // backoffLimitPerIndex (and podFailurePolicy) are allowed only with restartPolicy: Never.
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  const line = commandLine(c);
  const shards = [...line.matchAll(/--shard (\S+)/g)].map((m) => m[1]);
  assert.deepEqual(shards, [`auto/${n}`], `the sweep's --shard is auto/${n} (completions: ${n}): ${line}`);
  assert.match(line, /node bin\/kpsim\.js sweep scenarios\/\S+\.yaml --shard auto\/\d+ --out "?\$out"? /);
  assert.match(line, /\bout=\/results\/shard-\$JOB_COMPLETION_INDEX\n/, 'each pod writes its own folder, named by its index');
  // A retried pod resumes its shard's folder.
  assert.match(line, /results\.partial\.jsonl" \]; then\s+exec node bin\/kpsim\.js sweep --resume "\$out"/);
  assert.match(c.image, /PLACEHOLDER/, 'the image is marked as a placeholder');

  // The failure policy names this container, and fails a shard without a retry on kpsim's 1 and 2.
  const failIndex = job.spec.podFailurePolicy?.rules.find((r) => r.action === 'FailIndex');
  assert.equal(failIndex?.onExitCodes?.containerName, c.name);
  assert.deepEqual(failIndex?.onExitCodes?.values, [1, 2]);
  assert.ok(job.spec.backoffLimitPerIndex !== undefined, 'FailIndex needs backoffLimitPerIndex');

  // /results is a claim in the same file that every node can mount at once.
  const claim = claimAt(pod, c, '/results');
  const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim);
  assert.ok(pvc, `the claim ${claim} is in the file`);
  assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany']);

  // The merge Job reads the same claim and merges every shard folder.
  const [merge] = manifest('kpsim-merge-job.yaml');
  assert.equal(merge.apiVersion, 'batch/v1');
  assert.equal(merge.kind, 'Job');
  assert.equal(merge.spec.completionMode, undefined, 'one pod, not indexed');
  const mc = merge.spec.template.spec.containers[0];
  assert.equal(claimAt(merge.spec.template.spec, mc, '/results'), claim);
  assert.match(commandLine(mc), /node bin\/kpsim\.js merge \/results\/shard-\* --out \/results\/merged/);
  assert.match(commandLine(mc), /node bin\/kpsim\.js report \/results\/merged/);
  assert.match(mc.image, /PLACEHOLDER/);

  // Both scripts are shell the container's /bin/sh can read, and docs/distributed.md quotes them as they are.
  const doc = readFileSync(join(ROOT, 'docs/distributed.md'), 'utf8');
  for (const script of [c, mc].map((x) => x.args?.[0] ?? '')) {
    const r = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stderr}\n${script}`);
    for (const line of script.split('\n').map((l) => l.trim()))
      if (line && !line.startsWith('#') && line !== 'set -e') assert.ok(doc.includes(line), `docs/distributed.md lacks: ${line}`);
  }
});

test('--shard auto/2 with JOB_COMPLETION_INDEX=0 and =1 merges into the simulated rows of one run', () => {
  const base = tempDir('kpsim-indexed-job-');
  const run = (out: string, extra: string[], env?: Record<string, string>) => {
    const r = kpsim(['sweep', SCENARIO, '--out', out, '--simulated-only', '--no-report', '-q', '--workers', '1', ...extra], { env });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  };
  const whole = join(base, 'whole');
  run(whole, []);
  // What each pod of the Job runs, with the index the Job controller gives it.
  const parts = ['0', '1'].map((index) => {
    const out = join(base, `shard-${index}`);
    run(out, ['--shard', 'auto/2'], { JOB_COMPLETION_INDEX: index });
    return out;
  });
  // Index k ran shard k+1 of 2 (what `--shard k+1/2` runs): 0-based in, 1-based in the results.
  const meta = parts.map((d) => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')).meta);
  assert.deepEqual(
    meta.map((m) => m.shard),
    [
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ],
  );
  assert.match(meta[0].runId, /-shard1of2$/);
  const merged = join(base, 'merged');
  const m = kpsim(['merge', ...parts, '--out', merged]);
  assert.equal(m.status, 0, m.stderr);
  assert.doesNotMatch(m.stderr, /incomplete/);
  const rows = simulatedRows(merged);
  assert.ok(rows.split('\n').length > 100, 'expected many simulated rows');
  assert.equal(rows, simulatedRows(whole));
  assert.equal(JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')).meta.incomplete, undefined);
});
