/**
 * selectinload(T.children, { recursionDepth: -1 }) on cyclic data must return (issue 11,
 * defect 4): the load runs in a child process (recursion-child.ts) that is killed when it does
 * not answer in time, and its graph must be the reference's: every object reached has its
 * children loaded, as the data has them.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { RecursionAnswer, RecursionRequest } from "./recursion-child.js";
import type { ReferenceLoader, ReferenceRow } from "./reference.js";
import type { Rel } from "./schema.js";

const CHILD = fileURLToPath(new URL("./recursion-child.ts", import.meta.url));
/**
 * A child that stops beating for this long is stuck in the loop (timers never fire in it); one
 * that is merely slow on a loaded machine keeps beating. The cap bounds a live but endless load.
 */
const SILENCE_MS = 5_000;
const CAP_MS = 120_000;

type Message = RecursionAnswer | { readonly beat: true } | { readonly ready: true };

export class RecursionRunner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  constructor(private readonly url: string) {}

  private start(): Promise<void> {
    const child = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child = child;
    // A child spinning in the loop cannot notice its parent is gone: kill it on the way out.
    process.once("exit", () => child.kill("SIGKILL"));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: Message) => {
        if ("beat" in m) return;
        child.off("message", onMessage);
        if ("error" in m) reject(new Error(`recursion child could not start: ${m.error}`));
        else resolve();
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`recursion child exited (${code}) before it was ready`)));
    });
    child.send({ url: this.url });
    return this.ready;
  }

  /** The child's answer, or "timeout" (the child is then killed and replaced on the next call). */
  async run(request: RecursionRequest): Promise<RecursionAnswer | "timeout"> {
    if (this.child === undefined) await this.start();
    else await this.ready;
    const child = this.child!;
    return new Promise((resolve) => {
      const started = Date.now();
      let lastBeat = Date.now();
      const finish = (answer: RecursionAnswer | "timeout") => {
        clearInterval(watch);
        child.off("message", onMessage);
        if (answer === "timeout") {
          child.kill("SIGKILL");
          this.child = undefined;
        }
        resolve(answer);
      };
      const watch = setInterval(() => {
        if (Date.now() - lastBeat > SILENCE_MS || Date.now() - started > CAP_MS) finish("timeout");
      }, 250);
      const onMessage = (m: Message) => {
        if ("beat" in m) { lastBeat = Date.now(); return; }
        if ("ready" in m) return;
        finish(m);
      };
      child.on("message", onMessage);
      child.send(request);
    });
  }

  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }
}

/** Checks selectinload(rel, { recursionDepth: -1 }) from every row of rel's table. */
export async function checkRecursion(runner: RecursionRunner, ref: ReferenceLoader, roots: readonly ReferenceRow[], rel: Rel, request: RecursionRequest): Promise<void> {
  const expected: Record<string, string[]> = {};
  const queue = [...roots];
  while (queue.length > 0) {
    const row = queue.shift()!;
    if (row.key in expected) continue;
    const children = await ref.related(row, rel, undefined);
    expected[row.key] = children.map((c) => c.key).sort();
    queue.push(...children);
  }
  const answer = await runner.run(request);
  const what = `selectinload(T${rel.owner}.${rel.name}, { recursionDepth: -1 })`;
  expect(answer, `${what} did not return (the process stopped running timers: an endless loop without I/O)`).not.toBe("timeout");
  if (answer === "timeout") return;
  expect("error" in answer ? answer.error : undefined, `${what} threw`).toBeUndefined();
  if ("error" in answer) return;
  expect(answer.graph, `${what}: graph differs; statements:\n${answer.statements.join("\n")}`).toEqual(expected);
  // One query per level, and a level has at least one object not seen before.
  expect(answer.statements.length).toBeLessThanOrEqual(2 + Object.keys(expected).length);
}
