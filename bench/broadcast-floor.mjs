// The raw broadcast floor for `npm run bench`: a bare `ws` server that, on "go <frames> <gapMs>"
// on stdin, sends one pre-serialized frame to every connected socket, `frames` times. Its CPU per
// delivered frame (from /proc, read by the bench) is what no GraphQL server can go below; the time
// it starts each round ("sent <i> <epoch ms>") is the origin of the floor's delivery latency.
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

const frame = process.argv[2];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => process.stdout.write(`port ${wss.address().port}\n`));
createInterface({ input: process.stdin }).on('line', async (line) => {
  const [command, frames, gapMs] = line.split(' ');
  if (command !== 'go') return;
  for (let i = 0; i < Number(frames); i++) {
    // When this round began (epoch ms, sub-millisecond): the bench's latency origin for frame i.
    process.stdout.write(`sent ${i} ${performance.timeOrigin + performance.now()}\n`);
    for (const socket of wss.clients) socket.send(frame);
    await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
  }
  process.stdout.write('done\n');
});
