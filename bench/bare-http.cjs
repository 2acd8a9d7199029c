// Baseline (a): Node's http module answering a fixed credential-sized JSON body.
const http = require('node:http');
const body = Buffer.from(process.env.BENCH_BODY ?? '{}');
http
  .createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
