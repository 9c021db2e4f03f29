import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, dataDir: './data', role: 'all', seedDemo: true, logLevel: 'info' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('takes secrets only from the environment: none has a default', () => {
    const marker = 'marker-secret-0123456789-0123456789';
    /** Where in the config a value is, as a path of keys. */
    const pathTo = (value: unknown, target: string, at: string[] = []): string[] | undefined => {
      if (value === target) return at;
      if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) {
          const found = pathTo(v, target, [...at, k]);
          if (found) return found;
        }
      return undefined;
    };
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    const secrets = CONFIG_VARIABLES.filter((v) => /SECRET|PASSWORD|TOKEN$|API_KEY|AES_KEY/.test(v));
    let checked = 0;
    for (const variable of secrets) {
      let config: unknown;
      try {
        config = loadConfig({ [variable]: marker });
      } catch {
        continue; // needs its companions (a channel's other variables); the channel tests set those
      }
      const at = pathTo(config, marker);
      if (!at) continue; // read only with its companions
      const fallback = at!.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
      expect(fallback, variable).toBeUndefined();
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('believes X-Forwarded-For only from the proxies it is told of', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://12345.example.gov.cn' }).trustProxy).toBe(
      'loopback,linklocal,uniquelocal',
    );
    expect(loadConfig({ PUBLIC_URL: 'https://a.example', TRUST_PROXY: '10.0.0.0/8, 192.168.1.7' }).trustProxy).toBe(
      '10.0.0.0/8, 192.168.1.7',
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(3000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['REDIS_URL', 'localhost:6379'],
    ['MINSHENG_ROLE', 'both'],
    ['LOG_LEVEL', 'loud'],
    ['MINSHENG_TOKEN_SECRET', 'short'],
    ['MINSHENG_SEED_DEMO', 'maybe'],
    ['TRUST_PROXY', 'true'],
  ])('stops with a message naming %s for the bad value %j', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable}: `));
  });

  it('reads real services and roles', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/minsheng',
      REDIS_URL: 'redis://redis:6379',
      MINSHENG_ROLE: 'worker',
      MINSHENG_SEED_DEMO: 'false',
      PUBLIC_URL: 'https://12345.example.gov.cn/',
    });
    expect(config).toMatchObject({ role: 'worker', seedDemo: false, publicUrl: 'https://12345.example.gov.cn' });
  });

  it('reads the optional language model only when both its URL and model are set', () => {
    expect(loadConfig({}).llm).toBeUndefined();
    expect(
      loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1/', LLM_MODEL: 'qwen2.5:7b', LLM_TIMEOUT_MS: '2000' }).llm,
    ).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5:7b', apiKey: undefined, timeoutMs: 2000 });
    expect(() => loadConfig({ LLM_MODEL: 'qwen2.5:7b' })).toThrow(/LLM_BASE_URL: required when LLM_MODEL is set/);
    expect(() => loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(/LLM_MODEL: required/);
  });

  it('turns a channel on only with all of its credentials, naming the one missing', () => {
    expect(loadConfig({}).sms).toBeUndefined();
    expect(loadConfig({}).wechat).toBeUndefined();
    expect(() => loadConfig({ TWILIO_AUTH_TOKEN: 'token' })).toThrow(/TWILIO_ACCOUNT_SID: required/);
    expect(() => loadConfig({ WECHAT_TOKEN: 'token', WECHAT_APP_ID: 'wx1' })).toThrow(/WECHAT_APP_SECRET: required/);
    expect(() =>
      loadConfig({
        WECHAT_TOKEN: 'token',
        WECHAT_APP_ID: 'wx1',
        WECHAT_APP_SECRET: 's',
        WECHAT_ENCODING_AES_KEY: 'short',
      }),
    ).toThrow(/WECHAT_ENCODING_AES_KEY: must be the 43 letters/);
    expect(loadConfig({ WECHAT_TOKEN: 'token', WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's' }).wechat).toMatchObject({
      apiBaseUrl: 'https://api.weixin.qq.com',
      passiveReplyMs: 4000,
      encodingAesKey: undefined,
    });
  });

  it('turns the voice bot on with speech recognition and a transport, and checks what each part needs', () => {
    const twilio = { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token' };
    expect(loadConfig({}).voice).toBeUndefined();
    // Twilio without a model is SMS only; without SMS_FROM or a voice number it is nothing yet.
    expect(() => loadConfig(twilio)).toThrow(/SMS_FROM: required/);
    expect(loadConfig({ ...twilio, SMS_FROM: '+8610000' }).voice).toBeUndefined();
    const voiceOnly = loadConfig({
      ...twilio,
      WHISPER_MODEL: '/models/ggml-small.bin',
      VOICE_CALLER_ID: '+8657112345',
    });
    expect(voiceOnly.sms).toBeUndefined();
    expect(voiceOnly.whisper).toEqual({ model: '/models/ggml-small.bin', language: 'zh' });
    expect(voiceOnly.voice).toMatchObject({
      twilio: { accountSid: 'AC1', apiBaseUrl: 'https://api.twilio.com' },
      callerId: '+8657112345',
      agentQueue: '12345-agents',
      emergencyNumbers: { '110': '110', '119': '119', '120': '120', '122': '122' },
      tts: { kind: 'espeak' },
      endSilenceMs: 700,
      silenceTimeoutMs: 8000,
      maxCallMs: 30 * 60_000,
    });
    expect(() => loadConfig({ VOICE_AUDIOSOCKET_PORT: '9092' })).toThrow(/WHISPER_MODEL: required for voice calls/);
    expect(() =>
      loadConfig({ VOICE_AUDIOSOCKET_PORT: '9092', WHISPER_MODEL: '/m.bin', VOICE_CONTROL_URL: 'http://switch' }),
    ).toThrow(/VOICE_CONTROL_SECRET: required/);
    expect(() => loadConfig({ VOICE_AUDIOSOCKET_PORT: '9092', WHISPER_MODEL: '/m.bin', TTS_PROVIDER: 'http' })).toThrow(
      /TTS_BASE_URL: required/,
    );
    expect(() => loadConfig({ EMERGENCY_NUMBER_119: '119; rm -rf /' })).toThrow(
      /EMERGENCY_NUMBER_119: must be a phone/,
    );
    expect(() => loadConfig({ WHISPER_LANGUAGE: 'Chinese' })).toThrow(/WHISPER_LANGUAGE/);
    // Recordings are transcribed with a model alone.
    expect(loadConfig({ WHISPER_MODEL: '/m.bin' })).toMatchObject({ whisper: { model: '/m.bin' }, voice: undefined });
    expect(loadConfig({ XDG_CACHE_HOME: '/var/cache' }).cacheHome).toBe('/var/cache');
  });
});
