/**
 * The README's Slurm example on a real one-node Slurm cluster (Debian's `slurm-wlm` and `munge`): the
 * test starts its own munged (a fresh key, a private socket) and a slurmctld/slurmd pair from a minimal
 * slurm.conf in a temporary directory, submits `examples/slurm-array.sh` as written (`--array=0-7`, its
 * own `#SBATCH` lines: 8 CPUs and 8 GB per task) for a small grid of demo-gaussian-moments, then the
 * merge job with `--dependency=afterok`, waits for both, and checks that the merged results file is
 * byte-identical to an unsharded run's. Only `--output` is added to the sbatch lines (logs go to the
 * temporary directory, not the repository).
 *
 * The node is declared with 16 CPUs and 16 GB (`SlurmdParameters=config_overrides`: Slurm believes the
 * configuration, so the script's 8-CPU tasks run two at a time on any machine); proctrack/linuxproc and
 * task/none need no cgroups. It needs root (slurmd starts jobs as their user). Without slurm-wlm the
 * test is skipped, except in CI (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { need } from './_tools.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (bin: string) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, bin)));

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

const daemons: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const d of daemons.reverse()) { if (d.exitCode === null) d.kill('SIGTERM'); }
  await sleep(500);
  for (const d of daemons) { if (d.exitCode === null) d.kill('SIGKILL'); }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('Slurm: the README array script and merge job on a one-node cluster give the unsharded results byte for byte', { timeout: 600_000 }, async (t) => {
  const tools = ['slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'munged'].filter((b) => !has(b));
  if (!need(t, tools.length === 0, `Slurm (Debian packages slurm-wlm and munge; missing: ${tools.join(', ')})`)) return;
  if (!need(t, process.getuid?.() === 0, 'root (slurmd runs jobs as their user; this test starts it as root)')) return;
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'lpfl-slurm-'));
  dirs.push(dir);
  for (const d of ['state', 'spool', 'data', 'ref', 'logs']) mkdirSync(join(dir, d));

  // munge: its own key and socket, so nothing on the machine is touched
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const sock = join(dir, 'munge.sock');
  const munged = spawn('munged', ['--foreground', '--force', `--socket=${sock}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munged.pid')}`,
    `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munge.seed')}`], { stdio: 'ignore' });
  daemons.push(munged);
  for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100);
  assert.ok(existsSync(sock), `munged did not start: ${existsSync(join(dir, 'munged.log')) ? readFileSync(join(dir, 'munged.log'), 'utf8') : ''}`);

  const host = hostname();
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=lpfl-test', `SlurmctldHost=${host}(127.0.0.1)`, 'SlurmUser=root', 'SlurmdUser=root',
    'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${sock}`,
    `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldPort=${await freePort()}`, `SlurmdPort=${await freePort()}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core',
    'SchedulerType=sched/backfill', 'ReturnToService=2', 'MpiDefault=none', 'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none', 'JobAcctGatherType=jobacct_gather/none', 'SlurmdParameters=config_overrides',
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=16 RealMemory=16384 State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf, NODE_OPTIONS: '' };
  delete env.LPFL_BACKEND;
  delete env.SWEEP_DATA_DIR;
  daemons.push(spawn('slurmctld', ['-D', '-i', '-f', conf], { env, stdio: 'ignore' }));
  await sleep(1500);
  daemons.push(spawn('slurmd', ['-D', '-f', conf], { env, stdio: 'ignore' }));
  const log = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n') : '(no log)');
  let idle = false;
  for (let i = 0; i < 60 && !idle; i++) {
    await sleep(500);
    try { idle = /idle/.test((await run('sinfo', ['-h', '-o', '%t'], { env })).stdout); } catch { /* not up yet */ }
  }
  assert.ok(idle, `the Slurm node did not come up:\n${log('slurmctld.log')}\n${log('slurmd.log')}`);
  const tUp = Date.now();

  // the README's two commands, for a small grid (their --set/--seeds passed to both, as the README says)
  const grid = ['--set', 'n=[100,1000]', '--seeds', '2'];
  const data = join(dir, 'data');
  const submit = async (args: string[]) => (await run('sbatch', ['--parsable', ...args], { cwd: REPO, env: { ...env, SWEEP_DATA_DIR: data } })).stdout.trim();
  const jid = await submit(['--array=0-7', `--output=${join(dir, 'logs', 'sweep-%A_%a.out')}`, 'examples/slurm-array.sh', 'demo-gaussian-moments', ...grid]);
  const mid = await submit([`--dependency=afterok:${jid}`, `--output=${join(dir, 'logs', 'merge-%j.out')}`,
    '--wrap', `npm run --silent merge -- demo-gaussian-moments --data ${data} ${grid.map((a) => `'${a}'`).join(' ')}`]);
  const deadline = Date.now() + 480_000;
  for (;;) {
    const q = (await run('squeue', ['-h', '-o', '%i %t %r'], { env })).stdout.trim();
    if (q === '') break;
    assert.ok(!/DependencyNeverSatisfied/.test(q), `a shard failed, so the merge never runs:\n${q}\n${log(`logs/sweep-${jid}_0.out`)}`);
    assert.ok(Date.now() < deadline, `jobs still queued after 8 minutes:\n${q}\n${log('slurmctld.log')}`);
    await sleep(1000);
  }
  const tDone = Date.now();
  const mergeLog = readFileSync(join(dir, 'logs', `merge-${mid}.out`), 'utf8');
  assert.match(mergeLog, /demo-gaussian-moments: merged 16 cells \(16 present, 0 copied\) -> (\S+)/, mergeLog);
  const merged = /-> (\S+)/.exec(mergeLog)![1];
  for (let i = 0; i < 8; i++) assert.match(readFileSync(join(dir, 'logs', `sweep-${jid}_${i}.out`), 'utf8'), new RegExp(`shard ${i}/8: 2 cells \\(2 computed`));

  // the unsharded run, on this machine, outside Slurm
  const ref = await run(process.execPath, ['--import', 'tsx', 'src/node/cli.ts', 'sweep', 'demo-gaussian-moments', '--data', join(dir, 'ref'), ...grid, '--quiet'], { cwd: REPO, env });
  const refFile = /-> (\S+)/.exec(ref.stdout)![1];
  assert.equal(readFileSync(merged, 'utf8'), readFileSync(refFile, 'utf8'), 'merged shards = unsharded run, byte for byte');
  t.diagnostic(`Slurm up in ${((tUp - t0) / 1000).toFixed(1)} s; array of 8 + merge in ${((tDone - tUp) / 1000).toFixed(1)} s; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
