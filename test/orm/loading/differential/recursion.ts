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
/** Far above what a case needs (a few queries on at most 60 rows), even on a loaded machine. */
const TIMEOUT_MS = 15_000;

export class RecursionRunner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  constructor(private readonly url: string) {}

  private start(): Promise<void> {
    const child = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once("message", () => resolve());
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
      const timer = setTimeout(() => {
        child.removeAllListeners("message");
        child.kill("SIGKILL");
        this.child = undefined;
        resolve("timeout");
      }, TIMEOUT_MS);
      child.once("message", (answer: RecursionAnswer) => {
        clearTimeout(timer);
        resolve(answer);
      });
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
  expect(answer, `${what} did not return within ${TIMEOUT_MS} ms`).not.toBe("timeout");
  if (answer === "timeout") return;
  expect("error" in answer ? answer.error : undefined, `${what} threw`).toBeUndefined();
  if ("error" in answer) return;
  expect(answer.graph, `${what}: graph differs; statements:\n${answer.statements.join("\n")}`).toEqual(expected);
  // One query per level, and a level has at least one object not seen before.
  expect(answer.statements.length).toBeLessThanOrEqual(2 + Object.keys(expected).length);
}
