// Baseline (b): a bare Express 5 app answering the same body with res.json.
const express = require('express');
const body = JSON.parse(process.env.BENCH_BODY ?? '{}');
const app = express();
app.get('/x', (_req, res) => res.json(body));
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
