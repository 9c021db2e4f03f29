import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StaffAccounts } from '../core/accounts.js';
import { AppError } from '../core/errors.js';
import type { MediaStore } from '../core/media-store.js';
import { requireStaff } from './staff-auth.js';

export interface MediaRoutesOptions {
  accounts: StaffAccounts;
  media: MediaStore;
}

/** Staff who may see what citizens sent. */
export const MEDIA_ROLES = ['agent', 'supervisor', 'admin'] as const;

/** Types served as themselves; anything else is a download, never rendered by the browser. */
const INLINE = /^(image\/(jpeg|png|gif|webp)|audio\/(amr|mpeg|mp3|wav|ogg|x-wav|speex))$/;

/** Media citizens sent (images, voice), for the agent desk. Role-checked; served without sniffing. */
export const mediaRoutes: FastifyPluginAsyncTypebox<MediaRoutesOptions> = async (app, options) => {
  const staff = requireStaff(options.accounts, MEDIA_ROLES);
  app.get(
    '/:id',
    {
      schema: {
        tags: ['media'],
        summary: 'An image or voice message a citizen sent',
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }),
      },
      preValidation: staff,
    },
    async (request, reply) => {
      const media = await options.media.get(request.params.id);
      if (!media) throw new AppError('E_NOT_FOUND', 'No such media');
      const inline = INLINE.test(media.contentType);
      return reply
        .type(inline ? media.contentType : 'application/octet-stream')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', inline ? 'inline' : `attachment; filename="${media.id}"`)
        .header('cache-control', 'private, max-age=3600')
        .send(media.bytes);
    },
  );
};
