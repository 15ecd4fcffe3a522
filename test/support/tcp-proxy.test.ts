/** The fault proxy itself: it passes traffic, loses exactly one reply, and black-holes. */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./backends.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

const server = backends.find((backend) => backend.name === "postgresql");

describe.runIf(server !== undefined)("tcp proxy", () => {
  let url: string;
  let proxy: TcpProxy;
  beforeAll(async () => {
    url = await server!.freshUrl();
    proxy = await startTcpProxy(url);
  });
  afterAll(() => proxy.close());

  it("passes a session through", async () => {
    const client = new pg.Client({ connectionString: proxy.url });
    await client.connect();
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it("forwards a COMMIT and loses its reply: the server committed, the client errors", async () => {
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    await direct.query("CREATE TABLE proxied (id int)");
    const client = new pg.Client({ connectionString: proxy.url });
    client.on("error", () => {});
    await client.connect();
    await client.query("BEGIN");
    await client.query("INSERT INTO proxied VALUES (1)");
    const swallowed = proxy.loseReplyAfter("COMMIT");
    await expect(client.query("COMMIT")).rejects.toThrow();
    await swallowed;
    expect((await direct.query("SELECT count(*)::int AS n FROM proxied")).rows).toEqual([{ n: 1 }]);
    await direct.end();
  });

  it("black-holes: a query gets no answer until the mode is lifted", async () => {
    const client = new pg.Client({ connectionString: proxy.url });
    client.on("error", () => {});
    await client.connect();
    proxy.setMode("blackhole");
    const outcome = await Promise.race([
      client.query("SELECT 1").then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve("silent"), 300)),
    ]);
    proxy.setMode("pass");
    expect(outcome).toBe("silent");
    await proxy.close();
    proxy = await startTcpProxy(url);
  });
});
