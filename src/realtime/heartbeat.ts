import type { WebSocketServer, WebSocket } from 'ws';

/**
 * Keep-alive for every socket of a server from one timer (the `ws` README's heartbeat): each round
 * pings the sockets that answered the previous round's ping and terminates the ones that did not,
 * so a dead peer is gone within two rounds. graphql-ws' own keep-alive does the same with a timer
 * per socket and a timeout and a listener per ping, which at 10,000 idle sockets cost this process
 * more CPU than the pings themselves (and memory per socket); it is turned off where this is used.
 */
export function heartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  if (!(intervalMs > 0 && Number.isFinite(intervalMs))) return () => {};
  const answered = new WeakSet<WebSocket>();
  const pong = function (this: WebSocket) {
    answered.add(this);
  };
  wss.on('connection', (socket) => {
    answered.add(socket);
    socket.on('pong', pong);
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (!answered.delete(socket)) {
        socket.terminate();
        continue;
      }
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
