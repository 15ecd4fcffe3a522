/**
 * A TCP proxy on loopback for fault tests: it sits between a driver and a real PostgreSQL server
 * and can pass traffic, black-hole it, cut a connection after some bytes, or forward one client
 * message and then lose the server's reply (the "COMMIT was sent, the answer never came" case).
 *
 * ```ts
 * const proxy = await startTcpProxy(serverUrl);      // postgresql://...@127.0.0.1:<server port>/db
 * const engine = createEngine(proxy.url);             // same URL, the proxy's port
 * proxy.loseReplyAfter("COMMIT");                     // next COMMIT reaches the server; its reply does not
 * proxy.setMode("blackhole");                         // nothing moves, sockets stay open
 * await proxy.close();
 * ```
 *
 * Faults apply to the connections open when they are set and to every later one, until
 * `setMode("pass")`. Written for the tests; it is not shipped.
 */
import { createServer, Socket, type Server } from "node:net";

export type ProxyMode =
  /** Forward both directions. */
  | "pass"
  /** Accept and hold connections, forward nothing either way: a hung network or a dead host. */
  | "blackhole"
  /** Reset every open connection and each new one as soon as it arrives. */
  | "reset";

export interface TcpProxy {
  /** The target URL with its host and port replaced by the proxy's. */
  readonly url: string;
  readonly port: number;
  setMode(mode: ProxyMode): void;
  /**
   * The next client message whose bytes contain `marker` (for example "COMMIT") is forwarded to
   * the server; from then on that connection's server-to-client bytes are dropped and, when the
   * server answers, the client's socket is destroyed. The server did the work; the client never
   * hears of it. Resolves when the reply has been swallowed.
   */
  loseReplyAfter(marker: string): Promise<void>;
  /** Destroys the connection after `bytes` more bytes have gone from server to client on it. */
  cutAfterServerBytes(bytes: number): void;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Set once a marked message was forwarded: server bytes are dropped from then on. */
  swallowing: boolean;
  /** Server-to-client bytes left before the pair is cut; Infinity when no cut is armed. */
  cutBudget: number;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const targetHost = target.hostname;
  const pairs = new Set<Pair>();
  let mode: ProxyMode = "pass";
  let pendingMarker: { marker: Buffer; resolve: () => void } | null = null;
  let armedCut: number | null = null;

  const destroyPair = (pair: Pair): void => {
    pair.client.destroy();
    pair.server.destroy();
    pairs.delete(pair);
  };

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    if (mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, server: upstream, swallowing: false, cutBudget: armedCut ?? Infinity };
    pairs.add(pair);
    upstream.connect(targetPort, targetHost);
    upstream.setNoDelay(true);

    client.on("data", (chunk: Buffer) => {
      if (mode === "blackhole") return;
      if (pendingMarker !== null && chunk.includes(pendingMarker.marker)) {
        pair.swallowing = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (mode === "blackhole") return;
      if (pair.swallowing) {
        const waiting = pendingMarker;
        pendingMarker = null;
        destroyPair(pair);
        waiting?.resolve();
        return;
      }
      if (chunk.length >= pair.cutBudget) {
        client.write(chunk.subarray(0, pair.cutBudget));
        destroyPair(pair);
        return;
      }
      pair.cutBudget -= chunk.length;
      client.write(chunk);
    });
    const end = (): void => destroyPair(pair);
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("tcp proxy: no port");
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);

  return {
    url: url.toString(),
    port: address.port,
    setMode(next) {
      mode = next;
      armedCut = null;
      if (next === "reset") for (const pair of [...pairs]) { pair.client.resetAndDestroy(); destroyPair(pair); }
    },
    loseReplyAfter(marker) {
      return new Promise<void>((resolve) => {
        pendingMarker = { marker: Buffer.from(marker, "utf8"), resolve };
      });
    },
    cutAfterServerBytes(bytes) {
      armedCut = bytes;
      for (const pair of pairs) pair.cutBudget = bytes;
    },
    get openConnections() {
      return pairs.size;
    },
    close() {
      for (const pair of [...pairs]) destroyPair(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
