/**
 * Asterisk AudioSocket (https://docs.asterisk.org/Configuration/Channel-Drivers/AudioSocket/): a TCP
 * stream of frames `kind (1 byte) | length (2 bytes, big-endian) | payload`. Kinds: 0x00 hang-up,
 * 0x01 the call's UUID (first frame), 0x03 a DTMF digit, 0x10 audio (16-bit signed little-endian PCM,
 * 8 kHz mono), 0xff an error. Audio goes back the same way, paced at 20 ms a frame as Asterisk plays it.
 * In the dialplan: `AudioSocket(<uuid>,<host>:<port>)`. FreeSWITCH's audio fork streams the same L16.
 *
 * There is no authentication in the protocol: bind it to a private address (VOICE_AUDIOSOCKET_HOST,
 * loopback by default) that only the switch can reach.
 */
import net from 'node:net';
import { TELEPHONY_RATE } from './audio.js';
import { atCapacity, CallSession, type CallTransport, type VoiceServices } from './call.js';

export const AUDIOSOCKET_KIND = { hangup: 0x00, uuid: 0x01, dtmf: 0x03, audio: 0x10, error: 0xff } as const;

/** 20 ms of 16-bit PCM at 8 kHz. */
const FRAME_BYTES = (TELEPHONY_RATE / 50) * 2;
/** The first frame must name the call within this time. */
const HELLO_MS = 5_000;
/** A switch that sends nothing for this long has lost the call (it sends audio every 20 ms). */
const STALL_MS = 15_000;
const MAX_PROTOCOL_ERRORS = 20;

/** One AudioSocket frame. */
export function audioSocketFrame(kind: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const frame = Buffer.alloc(3 + payload.length);
  frame[0] = kind;
  frame.writeUInt16BE(payload.length, 1);
  frame.set(payload, 3);
  return frame;
}

/** Splits a TCP byte stream into frames; keeps a partial frame for the next chunk. */
export class AudioSocketParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { kind: number; payload: Buffer }[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: { kind: number; payload: Buffer }[] = [];
    while (this.buffer.length >= 3) {
      const length = this.buffer.readUInt16BE(1);
      if (this.buffer.length < 3 + length) break;
      frames.push({ kind: this.buffer[0]!, payload: this.buffer.subarray(3, 3 + length) });
      this.buffer = this.buffer.subarray(3 + length);
    }
    return frames;
  }
}

const uuidOf = (bytes: Buffer) => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export class AudioSocketServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly services: VoiceServices) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const log = this.services.logger.child({ channel: 'voice', transport: 'audiosocket' });
    if (atCapacity(this.services, 'audiosocket')) {
      // Hang up at once, so the dialplan goes on to its next step (an agents' queue).
      socket.on('error', (error) => log.debug({ err: error }, 'audiosocket connection error'));
      socket.end(audioSocketFrame(AUDIOSOCKET_KIND.hangup));
      return;
    }
    this.sockets.add(socket);
    const parser = new AudioSocketParser();
    let session: CallSession | undefined;
    let errors = 0;
    let lastDataAt = performance.now();
    const startedAt = performance.now();
    // Bot audio waits here and leaves one frame every 20 ms; each reply's mark follows its last frame.
    let queue: { frame: Buffer; mark?: string }[] = [];

    const send = (frame: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(frame);
    };
    const transport: CallTransport = {
      kind: 'audiosocket',
      play(pcm, mark) {
        const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
        for (let i = 0; i < bytes.length; i += FRAME_BYTES) {
          const frame = Buffer.alloc(FRAME_BYTES);
          bytes.copy(frame, 0, i, Math.min(i + FRAME_BYTES, bytes.length));
          queue.push({ frame: audioSocketFrame(AUDIOSOCKET_KIND.audio, frame) });
        }
        queue.push({ frame: Buffer.alloc(0), mark });
      },
      clear() {
        queue = [];
      },
      close() {
        send(audioSocketFrame(AUDIOSOCKET_KIND.hangup));
        socket.end();
      },
    };
    const pacer = setInterval(() => {
      const now = performance.now();
      if (now - lastDataAt > STALL_MS || (!session && now - startedAt > HELLO_MS)) {
        log.warn({ named: Boolean(session) }, 'audiosocket stalled; ending the call');
        if (session) void session.end('stream-stalled');
        else socket.destroy();
        return;
      }
      while (queue.length) {
        const next = queue.shift()!;
        if (next.mark) {
          session?.played(next.mark);
          continue;
        }
        send(next.frame);
        break;
      }
    }, 20);
    const protocolError = (what: string) => {
      log.debug({ what }, 'audiosocket protocol error');
      if (++errors < MAX_PROTOCOL_ERRORS) return;
      log.warn({ errors }, 'audiosocket sent too many bad frames; closing it');
      if (session) void session.end('protocol-error');
      else socket.destroy();
    };

    socket.on('data', (chunk: Buffer) => {
      lastDataAt = performance.now();
      for (const { kind, payload } of parser.push(chunk)) {
        if (kind === AUDIOSOCKET_KIND.uuid) {
          if (session || payload.length !== 16) {
            protocolError('bad uuid frame');
            continue;
          }
          session = new CallSession(this.services, transport, { callId: uuidOf(payload) });
        } else if (!session) {
          protocolError('frame before the call uuid');
        } else if (kind === AUDIOSOCKET_KIND.audio) {
          if (payload.length % 2 !== 0) protocolError('odd audio frame');
          else {
            // Copied: the payload is a view into a buffer that may not be aligned for Int16Array.
            const pcm = new Int16Array(payload.length / 2);
            for (let i = 0; i < pcm.length; i++) pcm[i] = payload.readInt16LE(i * 2);
            session.audio(pcm);
          }
        } else if (kind === AUDIOSOCKET_KIND.dtmf) {
          session.dtmf(payload.toString('ascii', 0, 1));
        } else if (kind === AUDIOSOCKET_KIND.hangup) {
          void session.end('caller-hung-up');
        } else if (kind === AUDIOSOCKET_KIND.error) {
          log.warn({ code: payload[0] }, 'the switch reported an error on the call');
          void session.end('switch-error');
        } else protocolError('unknown frame kind');
      }
    });
    socket.on('error', (error) => log.debug({ err: error }, 'audiosocket connection error'));
    socket.on('close', () => {
      clearInterval(pacer);
      this.sockets.delete(socket);
      void session?.end('stream-closed');
    });
  }
}
