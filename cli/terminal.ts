// Where the CLI writes: results to stdout (tables, YAML, JSON: what scripts read), and
// progress and outcomes to stderr in flux's words and symbols (► ✔ ✗ ◎). Colours and
// spinners only on a terminal, never with --no-color or NO_COLOR.
import { stringify } from 'yaml';

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
}

const colours = { red: 31, green: 32, yellow: 33, cyan: 36 } as const;
const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Objects as one multi-document YAML text, each document opened by `---`, as flux prints them. */
export function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map((object) => `---\n${stringify(object)}`).join('');
}

export interface Progress {
  update(text: string): void;
  stop(): void;
}

export class Terminal {
  readonly color: boolean;
  /** stderr is a terminal: progress may redraw itself */
  readonly interactive: boolean;

  constructor(
    private readonly io: CliIo,
    options: { noColor?: boolean } = {},
  ) {
    this.interactive = io.stderr.isTTY === true;
    this.color = this.interactive && !options.noColor && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
  }

  /** a result, on stdout */
  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** a value as JSON or YAML, on stdout */
  data(value: unknown, format: 'json' | 'yaml'): void {
    this.out(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
  }

  action(message: string): void {
    this.line('►', 'cyan', message);
  }

  success(message: string): void {
    this.line('✔', 'green', message);
  }

  failure(message: string): void {
    this.line('✗', 'red', message);
  }

  waiting(message: string): void {
    this.line('◎', 'yellow', message);
  }

  warning(message: string): void {
    this.line('⚠', 'yellow', message);
  }

  private paint(text: string, colour: keyof typeof colours): string {
    return this.color ? `\u001b[${colours[colour]}m${text}\u001b[0m` : text;
  }

  private line(symbol: string, colour: keyof typeof colours, message: string): void {
    this.io.stderr.write(`${this.paint(symbol, colour)} ${message}\n`);
  }

  /** A spinner on a terminal; elsewhere `◎ text` once, and again only when the text changes. */
  progress(text: string): Progress {
    if (!this.interactive) {
      let last = text;
      this.waiting(text);
      return {
        update: (next) => {
          if (next !== last) this.waiting(next);
          last = next;
        },
        stop: () => undefined,
      };
    }
    let current = text;
    let frame = 0;
    const draw = () => this.io.stderr.write(`\r\u001b[2K${this.paint(spinnerFrames[frame++ % spinnerFrames.length]!, 'yellow')} ${current}`);
    draw();
    const timer = setInterval(draw, 100);
    timer.unref();
    return {
      update: (next) => {
        current = next;
      },
      stop: () => {
        clearInterval(timer);
        this.io.stderr.write('\r\u001b[2K');
      },
    };
  }
}
