import pc from 'picocolors';

/** What a step did: changed something, or found it already done (the idempotent case, said so). */
export interface StepOutcome {
  changed: boolean;
  /** One line after the title: what was done or found. */
  detail?: string;
}

export interface StepRecord extends StepOutcome {
  title: string;
  seconds: number;
}

/**
 * Runs named steps the way kind does: one line each, a spinner while it runs (on a terminal), then ✓ with what
 * it did and how long it took, or ✗ with the error. Lines a step logs appear dimmed under it.
 */
export class Steps {
  readonly records: StepRecord[] = [];
  private readonly write: (text: string) => void;
  private readonly tty: boolean;
  private current?: { title: string; started: number; timer?: NodeJS.Timeout; frame: number };

  constructor(write: (text: string) => void = (t) => process.stdout.write(t), tty = Boolean(process.stdout.isTTY)) {
    this.write = write;
    this.tty = tty;
  }

  /** A line from inside the running step (build output, kind's own steps). */
  readonly log = (line: string): void => {
    if (this.tty && this.current) this.write('\r\x1b[2K');
    this.write(`    ${pc.dim(line)}\n`);
    if (this.tty && this.current) this.draw();
  };

  async run(title: string, body: () => Promise<StepOutcome>): Promise<StepRecord> {
    this.current = { title, started: Date.now(), frame: 0 };
    if (this.tty) {
      this.draw();
      this.current.timer = setInterval(() => this.draw(), 120);
    } else this.write(` • ${title} …\n`);
    try {
      const outcome = await body();
      const record = { title, seconds: this.elapsed(), ...outcome };
      this.finish(
        `${pc.green('✓')} ${title}${outcome.detail ? `: ${outcome.detail}` : ''} ${pc.dim(`(${record.seconds} s)`)}`,
      );
      this.records.push(record);
      return record;
    } catch (error) {
      this.finish(`${pc.red('✗')} ${title} ${pc.dim(`(${this.elapsed()} s)`)}`);
      throw error;
    }
  }

  /** True when no step changed anything: `up` then says the lab was already up. */
  get unchanged(): boolean {
    return this.records.every((r) => !r.changed);
  }

  private elapsed(): number {
    return Math.round((Date.now() - (this.current?.started ?? Date.now())) / 100) / 10;
  }

  private draw(): void {
    if (!this.current) return;
    const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
    this.write(
      `\r\x1b[2K ${pc.cyan(frames[this.current.frame++ % frames.length])} ${this.current.title} ${pc.dim(`${this.elapsed()} s`)}`,
    );
  }

  private finish(line: string): void {
    if (this.current?.timer) clearInterval(this.current.timer);
    this.write(`${this.tty ? '\r\x1b[2K' : ''} ${line}\n`);
    this.current = undefined;
  }
}
