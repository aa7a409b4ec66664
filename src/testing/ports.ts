import { createServer, type Server } from "node:net";

/** Every port this process has handed out: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago and that no earlier call in this
 * process returned: the kernel picks it, so parallel suites do not collide on fixed
 * numbers, and two ports asked for in a row (an etcd's client and peer ports) differ.
 */
export async function freePort(): Promise<number> {
  const held: Server[] = [];
  try {
    for (;;) {
      const server = createServer();
      const port = await new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
          const address = server.address();
          resolve(typeof address === "object" && address !== null ? address.port : 0);
        });
      });
      // A port handed out before stays bound while the kernel picks again, so it cannot come back.
      held.push(server);
      if (!handedOut.has(port)) {
        handedOut.add(port);
        return port;
      }
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
