// examples/quickstart.ts — the example in host-lib/README.md (a test checks they match).
import { SimCluster, open } from '../host-lib/index.ts';

const cluster = new SimCluster({ hosts: 2 });          // two simulated hosts on one switch
const serverNic = open(cluster.device(1));
const clientNic = open(cluster.device(0));

// A server socket: bound to port 40, accepting requests (SO_HOMA_SERVER).
const server = serverNic.socket({ port: 40, server: true });
const serving = (async () => {
  for await (const request of server.requests()) {
    const text = request.text();                      // a copy; request.views are the bpages themselves
    await server.reply(request, text.toUpperCase());
    request.release();                                // the bpages go back with the next call
  }
})();

// A client socket on an automatic port: call() sends a request and awaits its response.
const client = clientNic.socket();
const response = await client.call({ address: serverNic.address, port: 40 }, 'hello, homa');
console.log(`${response.text()} (rpc ${response.id}, ${response.length} bytes, from ${response.peer.address})`);
response.release();

// send() + receive(): the response comes back with the completion cookie given to send().
const id = await client.send({ address: serverNic.address, port: 40 }, 'second', { cookie: 42n });
const second = await client.receive();
console.log(`${second.text()} for rpc ${id}, cookie ${second.cookie}, ${cluster.now()} ns simulated`);
second.release();

client.close();
server.close();
await serving;
