import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1:0 in front of a local server, which a test can take down (it stops listening
 * and cuts every connection, so new connections are refused, as when a service is unreachable) and bring
 * back on the same port.
 */
export class TcpProxy {
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #up = false;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (client) => proxy.#pipe(client));
    await proxy.#listen(0);
    return proxy;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get isUp(): boolean {
    return this.#up;
  }

  /** Stop listening and cut every open connection (synchronously: no request gets through after this). */
  down(): void {
    if (!this.#up) return;
    this.#up = false;
    this.server.close();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  /** Listen again on the same port. */
  async up(): Promise<void> {
    if (this.#up) return;
    await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    this.down();
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.server.address() as AddressInfo).port;
    this.#up = true;
  }

  #pipe(client: Socket): void {
    if (!this.#up) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}
