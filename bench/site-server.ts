// A stand-in for the guarded site, run as its own process (`node bench/site-server.ts`) so that
// the clients measured against it do not share its event loop. Every answer passes the example
// config's probe assertions and names one of four servers in X-Served-By, round robin. Prints
// its port on stdout once listening; exits when its parent closes stdin.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVERS = ['web-1', 'web-2', 'web-3', 'web-4'];
const BODY = '<html><title>Example Shop</title><p data-sku="MUG-BLUE">ok</p><a>Checkout</a></html>';
let next = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const servedBy = SERVERS[next++ % SERVERS.length] ?? 'web-1';
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(BODY),
      'x-served-by': servedBy,
    });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
