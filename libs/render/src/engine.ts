import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MaydayError } from '@mayday/model';
import { HelmError, setJsonValues, type HelmTemplate, type HelmTemplateRequest } from './helm.ts';

/** Where the engine's Go module lives; tools/toolchain/build-go.sh builds it into .tools/bin. */
export const ENGINE_MODULE = 'libs/render/engine';
export const ENGINE_BINARY = 'mayday-engine';

/** The render engine: $MAYDAY_ENGINE, else the one setup built into .tools/bin. */
export function resolveEngine(workspaceRoot: string): string {
  if (process.env.MAYDAY_ENGINE) return process.env.MAYDAY_ENGINE;
  const built = join(workspaceRoot, '.tools/bin', ENGINE_BINARY);
  return existsSync(built) ? built : ENGINE_BINARY;
}

/**
 * One long-lived engine process (libs/render/engine): Helm's own install action in client-only mode, what
 * `helm template` runs, serving every render of a batch. Its output is byte for byte `helm template`'s.
 */
export interface RenderEngine {
  /** Renders like helmTemplateWith(helm): the manifest, or a HelmError with Helm's own message. */
  helmTemplate: HelmTemplate;
  /** Ends the engine once its renders are done (it exits when its input closes). */
  close(): Promise<void>;
  /** Set once the engine stopped before close(): every render after that fails with it. */
  readonly failure: MaydayError | undefined;
}

interface Pending {
  request: HelmTemplateRequest;
  resolve: (manifest: string) => void;
  reject: (error: Error) => void;
}

interface EngineResponse {
  id: number;
  manifest?: string;
  error?: string;
}

const STDERR_TAIL = 4000;

/**
 * The engine, with `parallel` renders at a time inside it. It starts on the first render, or at once with `eager`
 * (a batch that will render: the Go process starts while the values are being checked).
 */
export function startEngine(binary: string, options: { parallel?: number; eager?: boolean } = {}): RenderEngine {
  const engine = new EngineClient(binary, options.parallel);
  if (options.eager) engine.prestart();
  return engine;
}

class EngineClient implements RenderEngine {
  failure: MaydayError | undefined;
  private readonly binary: string;
  private readonly parallel: number | undefined;
  private child: ChildProcessWithoutNullStreams | undefined;
  private closing = false;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(binary: string, parallel: number | undefined) {
    this.binary = binary;
    this.parallel = parallel;
  }

  helmTemplate: HelmTemplate = (request) =>
    new Promise<string>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closing) return reject(new Error('the render engine is closed'));
      this.child ??= this.start();
      const id = this.nextId++;
      this.pending.set(id, { request, resolve, reject });
      this.child.stdin.write(
        JSON.stringify({
          id,
          release: request.release,
          chart: request.chartDir,
          namespace: request.namespace,
          kubeVersion: request.kubeVersion,
          valuesFiles: request.valuesFiles,
          jsonValues: setJsonValues(request.setJson),
        }) + '\n',
      );
    });

  prestart(): void {
    this.child ??= this.start();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.child) return;
    this.child.stdin.end();
    await this.exited;
  }

  private start(): ChildProcessWithoutNullStreams {
    const proc = spawn(this.binary, this.parallel ? ['--parallel', String(this.parallel)] : [], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      proc.once('close', () => resolve());
      proc.once('error', () => resolve());
    });
    proc.stdin.on('error', () => undefined); // a dead engine is reported by 'exit', not by a broken pipe
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL)));
    createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', (line) => this.receive(proc, line));
    proc.once('error', (error: NodeJS.ErrnoException) =>
      this.fail({
        message: `cannot run the render engine: ${error.code ?? error.message}`,
        hint: 'run `npm run setup` (it builds the engine into .tools/bin) or set MAYDAY_ENGINE',
      }),
    );
    proc.once('exit', (code, signal) => {
      if (this.closing && this.pending.size === 0 && code === 0) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const inFlight = [...this.pending.values()].map((p) => `${p.request.release} (${p.request.namespace})`);
      const detail = this.stderrTail.trim() ? `\n${this.stderrTail.trim()}` : '';
      this.fail({
        rule: 'render-engine',
        message: `the render engine (pid ${proc.pid}) ${how} while rendering ${inFlight.join(', ') || 'nothing'}${detail}`,
        hint: 'nothing of this run was written: run it again; if the engine keeps stopping, rebuild it with `npm run setup`',
      });
    });
    return proc;
  }

  private receive(proc: ChildProcessWithoutNullStreams, line: string): void {
    let response: EngineResponse;
    try {
      response = JSON.parse(line) as EngineResponse;
    } catch {
      this.stderrTail += `\nunexpected output: ${line.slice(0, 200)}`;
      proc.kill();
      return;
    }
    const p = this.pending.get(response.id);
    if (!p) return;
    this.pending.delete(response.id);
    if (response.error !== undefined) p.reject(new HelmError(response.error.trim()));
    else p.resolve(response.manifest ?? '');
  }

  /** The engine is gone: every render waiting for it, and every one after, fails with why. */
  private fail(diagnostic: { message: string; hint: string; rule?: string }): void {
    this.failure ??= new MaydayError({ severity: 'error', file: this.binary, ...diagnostic });
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.failure);
    }
  }
}
