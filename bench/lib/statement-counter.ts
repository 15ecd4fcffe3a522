/**
 * Counts the statements a contender sends, whatever its driver, with a loopback TCP proxy that
 * reads the PostgreSQL frontend protocol: each simple Query ('Q') and each extended-protocol
 * Execute ('E') is one statement. Parse/Bind/Describe/Sync are not counted, so a prepared
 * statement executed again still counts once per execution.
 *
 * Why not pg_stat_statements: it must be in shared_preload_libraries at server start, and
 * startPostgres() (src/testing/postgres-server.ts) takes no server settings. The proxy adds a
 * hop, so it is used only for a separate counting pass, never while timing.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export class StatementCounter {
  count = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a proxy to the server in `url`; returns it with `url` rewritten to go through it. */
  static async start(url: string): Promise<{ counter: StatementCounter; url: string }> {
    const target = new URL(url);
    const server = createServer();
    const counter = new StatementCounter(server);
    server.on("connection", (client) => counter.#pipe(client, target.hostname, Number(target.port || 5432)));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const address = server.address();
    if (address === null || typeof address !== "object") throw new Error("proxy has no TCP address");
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(address.port);
    return { counter, url: proxied.toString() };
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.#sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const reader = new FrontendReader((type) => {
      if (type === 0x51 /* Q */ || type === 0x45 /* E */) this.count += 1;
    });
    client.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  }
}

/**
 * Splits the client's byte stream into messages. Until the startup message, messages have no
 * type byte (SSLRequest and GSSENCRequest come before it; the server answers them with one byte
 * that the proxy passes through like everything else).
 */
class FrontendReader {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  readonly #onMessage: (type: number) => void;

  constructor(onMessage: (type: number) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (!this.#started) {
        if (this.#buffer.length < 8) return;
        const length = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < length) return;
        const code = this.#buffer.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) this.#started = true;
        this.#buffer = this.#buffer.subarray(length);
      } else {
        if (this.#buffer.length < 5) return;
        const length = this.#buffer.readInt32BE(1);
        if (this.#buffer.length < 1 + length) return;
        this.#onMessage(this.#buffer[0] as number);
        this.#buffer = this.#buffer.subarray(1 + length);
      }
    }
  }
}
