import { Type, type Static } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'Every error answers with this body and a stable code.' },
);

export const ConversationParams = Type.Object({ conversationId: Type.String({ minLength: 1, maxLength: 128 }) });

export const WatermarkQuery = Type.Object({
  watermark: Type.Optional(Type.String({ pattern: '^[0-9]{0,10}$', description: 'Last watermark the client saw' })),
});

export const Conversation = Type.Object({
  conversationId: Type.String(),
  token: Type.Optional(Type.String()),
  expires_in: Type.Optional(Type.Integer()),
  streamUrl: Type.Optional(Type.String()),
});

export const TokenResponse = Type.Object({
  conversationId: Type.String(),
  token: Type.String(),
  expires_in: Type.Integer(),
});

const Account = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    role: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: true },
);

/** What a client may post. Server-owned fields (id, timestamp, conversation, recipient) are ignored. */
export const InboundActivity = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    text: Type.Optional(Type.String({ maxLength: 8000 })),
    textFormat: Type.Optional(Type.String({ maxLength: 32 })),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    from: Type.Optional(Account),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    value: Type.Optional(Type.Unknown()),
    channelData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    attachments: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 10 })),
    entities: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 20 })),
  },
  { additionalProperties: true },
);
export type InboundActivity = Static<typeof InboundActivity>;

export const ResourceResponse = Type.Object({ id: Type.String() });

export const ActivitySet = Type.Object({
  activities: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  watermark: Type.String(),
});

/** Optional body of token generation and conversation start. */
export const StartConversationBody = Type.Optional(
  Type.Object(
    {
      user: Type.Optional(
        Type.Object({
          id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          name: Type.Optional(Type.String({ maxLength: 128 })),
        }),
      ),
      locale: Type.Optional(Type.String({ maxLength: 35 })),
    },
    { additionalProperties: true },
  ),
);
