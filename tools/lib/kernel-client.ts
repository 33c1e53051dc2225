/**
 * A headless Jupyter client in TypeScript: it starts a kernel from its kernelspec with a connection
 * file, speaks the Jupyter messaging protocol (v5.3) over ZeroMQ (the `zeromq` package that tslab's
 * kernel itself uses), and executes code cells, recording their outputs as nbclient does.
 *
 * Wire format (https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol):
 * a multipart message [<IDS|MSG>, HMAC-SHA256 hex signature of the next four frames, header,
 * parent_header, metadata, content]. Channels: shell (DEALER → kernel's ROUTER) for requests,
 * iopub (SUB ← PUB) for outputs and busy/idle status, control (DEALER) for shutdown, stdin and
 * heartbeat bound as every client does (no input is ever requested: allow_stdin is false).
 *
 * Recording, as nbclient 0.7 (`NotebookClient.process_message` / nbformat's `output_from_msg`):
 * `stream`, `display_data`, `execute_result` and `error` messages become outputs in arrival order,
 * without merging consecutive streams; `clear_output` clears (at once, or before the next output with
 * wait=true); `update_display_data` rewrites the outputs carrying its display_id; the execute_reply
 * gives the status; a cell is finished when the reply has arrived and iopub reported idle for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Output } from './ipynb.js';

const DELIM = Buffer.from('<IDS|MSG>');
const PROTOCOL_VERSION = '5.3';

export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name: string;
}

export interface Message {
  header: { msg_id: string; msg_type: string; session: string; username: string; date: string; version: string };
  parent_header: { msg_id?: string; [k: string]: unknown };
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

export class KernelError extends Error { override name = 'KernelError'; }

/** A TCP port that was free a moment ago (the kernel binds it; Jupyter's own clients do the same). */
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export function sign(key: string, frames: readonly (string | Buffer)[]): string {
  const h = createHmac('sha256', key);
  for (const f of frames) h.update(f);
  return h.digest('hex');
}

/** Serialise a message into its frames (after the routing identities). */
export function encode(key: string, m: Message): Buffer[] {
  const body = [m.header, m.parent_header, m.metadata, m.content].map((x) => Buffer.from(JSON.stringify(x)));
  return [DELIM, Buffer.from(sign(key, body)), ...body];
}

/** Parse frames into a message, verifying the signature. */
export function decode(key: string, frames: readonly Buffer[]): Message {
  const at = frames.findIndex((f) => f.equals(DELIM));
  if (at < 0) throw new KernelError('a kernel message without the <IDS|MSG> delimiter');
  const sig = frames[at + 1]!.toString();
  const body = frames.slice(at + 2, at + 6);
  if (body.length < 4) throw new KernelError('a kernel message with fewer than four frames');
  if (sign(key, body) !== sig) throw new KernelError('a kernel message with a bad HMAC signature');
  const [header, parent_header, metadata, content] = body.map((b) => JSON.parse(b.toString('utf8')) as unknown);
  return { header, parent_header, metadata, content } as Message;
}

export interface KernelSpecLike { argv: string[]; env?: Record<string, string>; interrupt_mode?: string }

export interface StartOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Where the kernel process's own stdout/stderr go (its log, not the notebook). Default: dropped. */
  log?: (text: string) => void;
  startupTimeoutMs?: number;
  kernelName?: string;
}

export interface ExecuteResult {
  status: 'ok' | 'error' | 'abort' | 'timeout' | 'dead';
  outputs: Output[];
  /** The execution_count the kernel gave (execute_reply or execute_input / execute_result). */
  executionCount: number | null;
  reply?: Record<string, unknown>;
}

type Waiter = { onIopub: (m: Message) => void; onShell: (m: Message) => void };

export class KernelClient {
  private readonly session = randomUUID();
  private readonly waiters = new Map<string, Waiter>();
  private closed = false;
  private exitInfo: string | undefined;
  private exited: Promise<void>;

  private constructor(
    readonly conn: ConnectionInfo,
    private readonly proc: ChildProcess,
    private readonly zmq: { shell: import('zeromq').Dealer; control: import('zeromq').Dealer; iopub: import('zeromq').Subscriber; stdin: import('zeromq').Dealer },
    private readonly dir: string,
    readonly interruptMode: string,
  ) {
    this.exited = new Promise((res) => proc.once('exit', (code, signal) => {
      this.exitInfo = signal ? `signal ${signal}` : `exit status ${code}`;
      res();
    }));
    void this.pump(zmq.shell, 'shell');
    void this.pump(zmq.iopub, 'iopub');
    void this.pump(zmq.control, 'shell');
    void this.pump(zmq.stdin, 'stdin');
  }

  /** Start the kernel of `spec` ({connection_file} in its argv is replaced) and wait until it answers. */
  static async start(spec: KernelSpecLike, o: StartOptions): Promise<KernelClient> {
    const zmq = await import('zeromq');
    const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    const conn: ConnectionInfo = {
      transport: 'tcp', ip: '127.0.0.1', shell_port: shell_port!, iopub_port: iopub_port!, stdin_port: stdin_port!,
      control_port: control_port!, hb_port: hb_port!, key: randomBytes(32).toString('hex'), signature_scheme: 'hmac-sha256',
      kernel_name: o.kernelName ?? '',
    };
    const dir = mkdtempSync(join(tmpdir(), 'lp-kernel-'));
    const file = join(dir, 'kernel.json');
    writeFileSync(file, JSON.stringify(conn), { mode: 0o600 });
    const argv = spec.argv.map((a) => a.replace('{connection_file}', file));
    const proc = spawn(argv[0]!, argv.slice(1), {
      cwd: o.cwd, env: { ...(o.env ?? process.env), ...(spec.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = o.log ?? (() => undefined);
    proc.stdout!.setEncoding('utf8').on('data', log);
    proc.stderr!.setEncoding('utf8').on('data', log);
    const addr = (p: number) => `tcp://${conn.ip}:${p}`;
    const sockets = {
      shell: new zmq.Dealer({ linger: 0 }),
      control: new zmq.Dealer({ linger: 0 }),
      iopub: new zmq.Subscriber({ linger: 0 }),
      stdin: new zmq.Dealer({ linger: 0 }),
    };
    sockets.shell.connect(addr(shell_port!));
    sockets.control.connect(addr(control_port!));
    sockets.iopub.connect(addr(iopub_port!));
    sockets.iopub.subscribe();
    sockets.stdin.connect(addr(stdin_port!));
    const client = new KernelClient(conn, proc, sockets, dir, spec.interrupt_mode ?? 'signal');
    try {
      await client.waitReady(o.startupTimeoutMs ?? 120_000);
    } catch (e) {
      await client.shutdown();
      throw e;
    }
    return client;
  }

  private async pump(sock: AsyncIterable<Buffer[]>, channel: 'shell' | 'iopub' | 'stdin'): Promise<void> {
    try {
      for await (const frames of sock) {
        let m: Message;
        try { m = decode(this.conn.key, frames); } catch { continue; }
        const w = this.waiters.get(m.parent_header?.msg_id ?? '');
        if (!w) continue;
        if (channel === 'iopub') w.onIopub(m);
        else if (channel === 'shell') w.onShell(m);
      }
    } catch {
      // the socket was closed
    }
  }

  private message(msg_type: string, content: Record<string, unknown>): Message {
    return {
      header: { msg_id: randomUUID(), msg_type, session: this.session, username: 'layerwise-precond', date: new Date().toISOString(), version: PROTOCOL_VERSION },
      parent_header: {}, metadata: {}, content,
    };
  }

  /** Send kernel_info_request until both its reply (shell) and an iopub status for it arrive. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) throw new KernelError(`the kernel exited while starting (${this.exitInfo})`);
      const m = this.message('kernel_info_request', {});
      let reply = false, iopub = false;
      const done = new Promise<void>((res) => {
        this.waiters.set(m.header.msg_id, {
          onShell: (r) => { if (r.header.msg_type === 'kernel_info_reply') { reply = true; if (iopub) res(); } },
          onIopub: (r) => { if (r.header.msg_type === 'status') { iopub = true; if (reply) res(); } },
        });
      });
      await this.zmq.shell.send(encode(this.conn.key, m));
      const ok = await Promise.race([done.then(() => true), sleep(1000).then(() => false), this.exited.then(() => false)]);
      this.waiters.delete(m.header.msg_id);
      if (ok) return;
    }
    throw new KernelError(`the kernel did not answer within ${Math.round(timeoutMs / 1000)} s`);
  }

  get alive(): boolean { return this.exitInfo === undefined; }
  get exitDescription(): string | undefined { return this.exitInfo; }

  /** Interrupt the running cell (SIGINT for interrupt_mode 'signal', an interrupt_request otherwise). */
  async interrupt(): Promise<void> {
    if (this.interruptMode === 'message') {
      await this.zmq.control.send(encode(this.conn.key, this.message('interrupt_request', {})));
    } else if (this.alive) this.proc.kill('SIGINT');
  }

  /**
   * Execute `code`; resolves when the reply and the iopub idle status arrived. After `timeoutMs` the
   * kernel is interrupted and the result's status is 'timeout' (outputs so far kept); if the kernel
   * dies, 'dead'.
   */
  async execute(code: string, o: { timeoutMs?: number; onOutput?: (out: Output) => void } = {}): Promise<ExecuteResult> {
    const m = this.message('execute_request', {
      code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true,
    });
    const outputs: Output[] = [];
    let executionCount: number | null = null;
    let clearBeforeNext = false;
    const displayIds = new Map<string, number[]>();
    let reply: Record<string, unknown> | undefined, idle = false;
    let finish!: () => void;
    const finished = new Promise<void>((res) => { finish = res; });
    const push = (out: Output, displayId: string | undefined) => {
      if (clearBeforeNext) { outputs.length = 0; displayIds.clear(); clearBeforeNext = false; }
      if (displayId) { const l = displayIds.get(displayId) ?? []; l.push(outputs.length); displayIds.set(displayId, l); }
      outputs.push(out);
      o.onOutput?.(out);
    };
    this.waiters.set(m.header.msg_id, {
      onShell: (r) => {
        if (r.header.msg_type !== 'execute_reply') return;
        reply = r.content;
        if (typeof r.content.execution_count === 'number') executionCount = r.content.execution_count;
        if (idle) finish();
      },
      onIopub: (r) => {
        const c = r.content;
        if (typeof c.execution_count === 'number') executionCount = c.execution_count;
        const displayId = (c.transient as { display_id?: string } | undefined)?.display_id;
        switch (r.header.msg_type) {
          case 'status':
            if (c.execution_state === 'idle') { idle = true; if (reply) finish(); }
            return;
          case 'stream':
            return push({ output_type: 'stream', name: c.name as 'stdout' | 'stderr', text: String(c.text ?? '') }, undefined);
          case 'display_data':
            if (displayId) this.update(outputs, displayIds, displayId, c);
            return push({ output_type: 'display_data', data: (c.data ?? {}) as Record<string, unknown>, metadata: (c.metadata ?? {}) as Record<string, unknown> }, displayId);
          case 'execute_result':
            if (displayId) this.update(outputs, displayIds, displayId, c);
            return push({ output_type: 'execute_result', data: (c.data ?? {}) as Record<string, unknown>, metadata: (c.metadata ?? {}) as Record<string, unknown>, execution_count: (c.execution_count as number | null) ?? null }, displayId);
          case 'error':
            return push({ output_type: 'error', ename: String(c.ename ?? ''), evalue: String(c.evalue ?? ''), traceback: (c.traceback as string[] | undefined) ?? [] }, undefined);
          case 'update_display_data':
            if (displayId) this.update(outputs, displayIds, displayId, c);
            return;
          case 'clear_output':
            if (c.wait) clearBeforeNext = true;
            else { outputs.length = 0; displayIds.clear(); }
            return;
          default:
            return; // execute_input, comm messages
        }
      },
    });
    await this.zmq.shell.send(encode(this.conn.key, m));
    const timeoutMs = o.timeoutMs ?? Infinity;
    let status: ExecuteResult['status'];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Number.isFinite(timeoutMs) ? new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); }) : new Promise<'timeout'>(() => undefined);
    const r = await Promise.race([finished.then(() => 'done' as const), timedOut, this.exited.then(() => 'dead' as const)]);
    clearTimeout(timer);
    if (r === 'done') status = (reply?.status as ExecuteResult['status'] | undefined) ?? 'ok';
    else if (r === 'dead') status = 'dead';
    else {
      status = 'timeout';
      // Interrupt, give the kernel a few seconds to report where it stopped (kept in the outputs).
      await this.interrupt();
      await Promise.race([finished, sleep(5000), this.exited]);
    }
    this.waiters.delete(m.header.msg_id);
    return { status, outputs, executionCount, reply };
  }

  private update(outputs: Output[], ids: Map<string, number[]>, id: string, c: Record<string, unknown>): void {
    for (const i of ids.get(id) ?? []) {
      const out = outputs[i] as { data?: unknown; metadata?: unknown } | undefined;
      if (!out || !('data' in out)) continue;
      out.data = c.data ?? {};
      out.metadata = c.metadata ?? {};
    }
  }

  /** Ask the kernel to shut down (control channel), then make sure its process is gone. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.alive) {
      try {
        const m = this.message('shutdown_request', { restart: false });
        await Promise.race([this.zmq.control.send(encode(this.conn.key, m)), sleep(500)]);
      } catch { /* the socket may be gone */ }
      await Promise.race([this.exited, sleep(2000)]);
      if (this.alive) this.proc.kill('SIGTERM');
      await Promise.race([this.exited, sleep(2000)]);
      if (this.alive) this.proc.kill('SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
    }
    for (const s of Object.values(this.zmq)) s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms).unref()); }
