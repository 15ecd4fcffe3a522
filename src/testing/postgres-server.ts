/**
 * Throwaway PostgreSQL servers for tests: `initdb` into a temporary directory, start `postgres`
 * on a free loopback port with durability switched off, and delete everything on `stop()` (or
 * when the Node process exits).
 *
 * ```ts
 * const server = await startPostgres();
 * const url = await createDatabase(server.url, "t_orders"); // one database per test file
 * // ... connect to `url` ...
 * await server.stop();
 * ```
 *
 * Pinned by test/testing/postgres-server.test.ts.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  readdirSync,
  rmSync,
  statfsSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { ArgumentError } from "../core/errors.js";

export interface StartPostgresOptions {
  /** TCP port on 127.0.0.1. By default a free port is picked. */
  port?: number;
  /** Receives every line `initdb` and the server print. */
  log?: (line: string) => void;
  /**
   * Where to create the server's temporary directory. By default /dev/shm when it is a RAM disk
   * with room to spare (creating a database there is ten times faster than on a plain disk, even
   * with fsync off), else the system's temporary directory.
   */
  baseDir?: string;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: superuser, trust authentication. */
  readonly url: string;
  /** Shuts the server down and deletes its data directory. Calling it again is harmless. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const LOG_TAIL_LINES = 40;
/** A picked port can be taken by someone else before the server binds it; then pick again. */
const PORT_ATTEMPTS = 3;
/**
 * Names that need no percent-encoding in a URL: drivers decode the database part differently
 * (pg with decodeURI, postgres.js not at all). 63 bytes, because PostgreSQL silently truncates
 * longer identifiers.
 */
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** Settings that trade durability for speed; the data is thrown away anyway. */
const SERVER_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: "127.0.0.1",
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "200",
};

/** Starts a fresh, empty PostgreSQL server that only this process uses. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findBinDir();
  const runAs = serverUser();
  const dir = await mkdtemp(join(options.baseDir ?? defaultBaseDir(), "athanor-pg-"));
  const dataDir = join(dir, "data");
  try {
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    const initdbArgs = ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync"];
    // The C locale, like PGlite's: byte-order collation on both backends.
    initdbArgs.push("--encoding=UTF8", "--locale=C");
    await runToCompletion(join(binDir, "initdb"), initdbArgs, {
      cwd: dir,
      runAs,
      log: new LogTail(options.log),
    });
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const log = new LogTail(options.log);
      const server = new RunningServer({ binDir, dir, dataDir, port, runAs, log });
      try {
        await server.waitUntilReady();
        return server;
      } catch (error) {
        await server.discard();
        const portTaken = /could not bind|could not create any TCP\/IP sockets/i.test(log.text());
        if (options.port !== undefined || !portTaken || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Creates an empty database on the server at `serverUrl` and returns a URL for it (the same
 * credentials, host and query parameters, with `name` as the path). `name` is case-sensitive and
 * made of 1 to 63 ASCII letters, digits, `_` and `-`.
 */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!DATABASE_NAME.test(name)) {
    throw new ArgumentError(
      `database name must be 1 to 63 ASCII letters, digits, "_" or "-", ` +
        `got ${JSON.stringify(name)}`,
    );
  }
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

interface ServerOptions {
  readonly binDir: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly port: number;
  readonly runAs: RunAs | undefined;
  readonly log: LogTail;
}

/** Servers still running, shut down by the process 'exit' hook if nobody called stop(). */
const running = new Set<RunningServer>();

class RunningServer implements PostgresServer {
  readonly url: string;
  readonly #options: ServerOptions;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #hasExited = false;
  #spawnError: Error | undefined;
  #terminating: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ServerOptions) {
    this.#options = options;
    this.url = `postgres://postgres@127.0.0.1:${options.port}/postgres`;
    const settings = { ...SERVER_SETTINGS, unix_socket_directories: options.dir };
    const args = ["-D", options.dataDir, "-p", String(options.port)];
    for (const [key, value] of Object.entries(settings)) args.push("-c", `${key}=${value}`);
    this.#child = spawnLogged(join(options.binDir, "postgres"), args, {
      cwd: options.dir,
      runAs: options.runAs,
      log: options.log,
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once("exit", () => {
        this.#hasExited = true;
        resolve();
      });
      this.#child.once("error", (error) => {
        this.#spawnError = error;
        this.#hasExited = true;
        resolve();
      });
    });
    // A forgotten server must not keep the process alive; the exit hook shuts it down instead.
    this.#child.unref();
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream instanceof Socket) stream.unref();
    }
    running.add(this);
    installExitHook();
  }

  async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.#hasExited) {
        const reason = this.#spawnError?.message ?? `exit code ${this.#child.exitCode}`;
        throw new Error(
          `PostgreSQL exited during startup (${reason}).\n${this.#options.log.describe()}`,
        );
      }
      if (await acceptsConnections(this.url)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `PostgreSQL did not accept connections on ${this.url} within ` +
            `${READY_TIMEOUT_MS / 1000} s.\n${this.#options.log.describe()}`,
        );
      }
      await Promise.race([this.#exited, sleep(50)]);
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#terminate();
      await rm(this.#options.dir, { recursive: true, force: true });
      // Only now: should the process exit while stopping, the exit hook finishes the job.
      running.delete(this);
    })();
    return this.#stopping;
  }

  /** Shuts the server down but keeps its directory: startPostgres retries on another port. */
  async discard(): Promise<void> {
    await this.#terminate();
    running.delete(this);
  }

  #terminate(): Promise<void> {
    this.#terminating ??= this.#shutDown();
    return this.#terminating;
  }

  async #shutDown(): Promise<void> {
    // Waiting for the exit below needs the event loop to stay alive.
    this.#child.ref();
    // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for them.
    const escalation = [["SIGINT", 10_000], ["SIGQUIT", 5_000], ["SIGKILL", 5_000]] as const;
    for (const [signal, waitMs] of escalation) {
      if (this.#hasExited) break;
      this.#child.kill(signal);
      await Promise.race([this.#exited, sleep(waitMs, { keepAlive: false })]);
    }
  }

  /** Synchronous shutdown for the process 'exit' hook, where no promise can be awaited. */
  killNow(): void {
    running.delete(this);
    if (!this.#hasExited) {
      // "Immediate" shutdown; the data is thrown away, so crash recovery never happens.
      this.#child.kill("SIGQUIT");
      // The postmaster removes its pid file as it exits; deleting the directory before that
      // would race with it.
      const pidFile = join(this.#options.dataDir, "postmaster.pid");
      const deadline = Date.now() + 2_000;
      while (existsSync(pidFile) && Date.now() < deadline) sleepSync(20);
    }
    try {
      rmSync(this.#options.dir, { recursive: true, force: true });
    } catch {
      // Leaving a directory in the temp folder is better than failing the process exit.
    }
  }
}

let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const server of [...running]) server.killNow();
  };
  // Prepended: an earlier 'exit' listener that calls process.exit() again ends the process on
  // the spot, skipping the listeners after it (vitest's does so on SIGINT/SIGTERM).
  process.prependOnceListener("exit", killAll);
  // A signal's default action ends the process without an 'exit' event.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.prependListener(signal, function onSignal() {
      // Someone else handles the signal: if they exit, the 'exit' hook runs.
      if (process.listenerCount(signal) > 1) return;
      killAll();
      // Then die of the signal, as the process would have without this listener.
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    });
  }
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  // Errors while connecting are expected until the server is up (refused, "starting up").
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Binds port 0 on loopback to let the kernel choose a free port, then releases it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error(`unexpected address for a TCP server: ${String(address)}`));
      });
    });
  });
}

const TMPFS_MAGIC = 0x01021994;
/** Each test database copies template1 (about 8 MB); leave room for a few hundred of them. */
const MIN_RAM_DISK_BYTES = 4 * 1024 ** 3;

function defaultBaseDir(): string {
  try {
    const fs = statfsSync("/dev/shm");
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= MIN_RAM_DISK_BYTES) return "/dev/shm";
  } catch {
    // No /dev/shm (not Linux): use the temporary directory.
  }
  return tmpdir();
}

let cachedBinDir: string | undefined;

/**
 * The directory holding `initdb` and `postgres`: the newest /usr/lib/postgresql/<version>/bin
 * (Debian/Ubuntu packages), else `pg_config --bindir`, else the PATH.
 */
function findBinDir(): string {
  if (cachedBinDir !== undefined) return cachedBinDir;
  const pathDirs = (process.env.PATH ?? "").split(delimiter);
  const candidates = [...debianBinDirs(), pgConfigBinDir(), ...pathDirs];
  const found = candidates.find(
    (dir) => dir && isExecutable(join(dir, "initdb")) && isExecutable(join(dir, "postgres")),
  );
  if (!found) {
    throw new Error(
      "Cannot find the PostgreSQL server programs (initdb, postgres) in " +
        "/usr/lib/postgresql/*/bin, `pg_config --bindir` or the PATH. Install them " +
        "(Debian/Ubuntu: `apt-get install postgresql`), or set DATABASE_URL to an existing " +
        "server, or test only the embedded backend with ATHANOR_TEST_BACKENDS=pglite.",
    );
  }
  cachedBinDir = found;
  return found;
}

function debianBinDirs(): string[] {
  let versions: string[];
  try {
    versions = readdirSync("/usr/lib/postgresql");
  } catch {
    return [];
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => compareVersions(b, a))
    .map((version) => `/usr/lib/postgresql/${version}/bin`);
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

function pgConfigBinDir(): string {
  try {
    return execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * PostgreSQL refuses to run as root; then initdb and the server run as the `postgres` user.
 * They are spawned with that uid/gid directly rather than through `runuser`, because runuser
 * stands between us and the postmaster: it does not forward SIGINT (fast shutdown), and after
 * SIGTERM it SIGKILLs its child two seconds later.
 */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch (error) {
    throw new Error(
      "PostgreSQL refuses to run as root and there is no `postgres` user to run it as. " +
        "Create one (`useradd --system --user-group postgres`) or run as a regular user.",
      { cause: error },
    );
  }
}

interface SpawnOptions {
  readonly cwd: string;
  readonly runAs: RunAs | undefined;
  readonly log: LogTail;
}

function spawnLogged(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.runAs ?? {}),
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => options.log.add(line));
  }
  return child;
}

function runToCompletion(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnLogged(command, args, options);
    child.once("error", (error) => reject(new Error(`could not run ${command}: ${error.message}`)));
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      const status = signal ?? `exit code ${code}`;
      reject(new Error(`${command} failed (${status}).\n${options.log.describe()}`));
    });
  });
}

/** Forwards output lines and keeps the last few for error messages. */
class LogTail {
  readonly #lines: string[] = [];
  readonly #forward: ((line: string) => void) | undefined;

  constructor(forward: ((line: string) => void) | undefined) {
    this.#forward = forward;
  }

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > LOG_TAIL_LINES) this.#lines.shift();
    this.#forward?.(line);
  }

  text(): string {
    return this.#lines.join("\n");
  }

  describe(): string {
    if (this.#lines.length === 0) return "The server printed nothing.";
    return `Last output lines:\n${this.text()}`;
  }
}

/** `keepAlive: false` for a timer that only bounds a wait on something else that is alive. */
function sleep(ms: number, { keepAlive = true } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (!keepAlive) timer.unref();
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
