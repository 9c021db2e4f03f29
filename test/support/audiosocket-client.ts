import net from 'node:net';
import { AUDIOSOCKET_KIND, audioSocketFrame, AudioSocketParser } from '../../channels/voice/audiosocket.js';

/** A switch's side of an AudioSocket call (Asterisk's protocol over TCP): frames out, every frame in kept. */
export class AudioSocketClient {
  readonly frames: { kind: number; payload: Buffer }[] = [];
  readonly arrivals: number[] = [];
  closed = false;
  private readonly parser = new AudioSocketParser();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.parser.push(chunk)) {
        this.frames.push(frame);
        this.arrivals.push(performance.now());
      }
    });
    socket.on('close', () => (this.closed = true));
  }

  static connect(port: number): Promise<AudioSocketClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new AudioSocketClient(socket)));
      socket.once('error', reject);
    });
  }

  send(kind: number, payload?: Uint8Array) {
    this.socket.write(audioSocketFrame(kind, payload));
  }

  /** 8 kHz PCM as 20 ms audio frames (little-endian), as fast as TCP takes them. */
  audio(pcm: Int16Array) {
    for (let i = 0; i < pcm.length; i += 160) {
      const frame = Buffer.alloc(320);
      for (let j = 0; j < 160 && i + j < pcm.length; j++) frame.writeInt16LE(pcm[i + j]!, j * 2);
      this.send(AUDIOSOCKET_KIND.audio, frame);
    }
  }

  /** Line noise every 20 ms, as a switch streams while the caller is quiet; stops when the call closes. */
  streamSilence() {
    const timer = setInterval(() => {
      if (this.closed) clearInterval(timer);
      else this.send(AUDIOSOCKET_KIND.audio, Buffer.alloc(320));
    }, 20);
    this.socket.on('close', () => clearInterval(timer));
  }

  audioFrames() {
    return this.frames.filter((f) => f.kind === AUDIOSOCKET_KIND.audio);
  }
}
