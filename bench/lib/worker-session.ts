/** The runner's handle on one worker process: send a command, await its reply, with a timeout. */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Command, Reply } from "./worker-protocol.ts";

export class WorkerSession {
  readonly #child: ChildProcess;
  readonly #timeoutMs: number;
  readonly #stderr: string[] = [];
  #exited = false;
  #pending: ((reply: Reply) => void) | undefined;

  constructor(benchDir: string, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#child = fork(join(benchDir, "worker.ts"), [], {
      cwd: benchDir,
      execArgv: ["--expose-gc", "--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr.push(chunk.toString());
      if (this.#stderr.length > 40) this.#stderr.shift();
    });
    this.#child.on("message", (reply: Reply) => {
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.(reply);
    });
    this.#child.once("exit", (code, signal) => {
      this.#exited = true;
      this.#pending?.({ ok: false, status: "error", message: `the worker exited (${signal ?? `code ${code}`})\n${this.#tail()}` });
      this.#pending = undefined;
    });
  }

  get alive(): boolean {
    return !this.#exited;
  }

  send(command: Command): Promise<Reply> {
    if (this.#exited) return Promise.resolve({ ok: false, status: "error", message: `the worker is gone\n${this.#tail()}` });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        this.#child.kill("SIGKILL");
        resolve({ ok: false, status: "error", message: `'${command.op}' timed out after ${this.#timeoutMs / 1000} s; the worker was killed` });
      }, this.#timeoutMs);
      this.#pending = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.#child.send(command);
    });
  }

  /** Asks the worker to tear down and exit; kills it if it does not. */
  async close(): Promise<number | undefined> {
    if (this.#exited) return undefined;
    const reply = await this.send({ op: "exit" });
    if (!this.#exited) this.#child.kill("SIGKILL");
    return reply.ok ? reply.maxRss : undefined;
  }

  #tail(): string {
    return this.#stderr.join("").split("\n").slice(-8).join("\n");
  }
}
