// Real loopback servers for the load driver's tests: each behaves as one kind of failure.
import http from 'node:http';
import net from 'node:net';

export interface TestServer {
  url: string;
  /** Requests the server saw arrive. */
  arrivals: () => number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Answers every request with `status` after `delayMs`. */
export async function httpServer(status = 200, delayMs = 0): Promise<TestServer> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n++;
    const answer = () => {
      res.statusCode = status;
      res.end('ok\n');
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, arrivals: () => n, close: () => closeHttp(server) };
}

/** Resets the connection (TCP RST) as soon as a request arrives. */
export async function resettingServer(): Promise<TestServer> {
  let n = 0;
  const server = http.createServer((req) => {
    n++;
    req.socket.resetAndDestroy();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, arrivals: () => n, close: () => closeHttp(server) };
}

/** Accepts connections and reads requests but never answers. */
export async function hangingServer(): Promise<TestServer> {
  let n = 0;
  const server = http.createServer(() => {
    n++;
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, arrivals: () => n, close: () => closeHttp(server) };
}

/** A port nothing listens on: bound once, then closed. */
export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
