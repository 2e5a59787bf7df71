import type { MutationResolvers } from '../__generated__/resolvers-types';
import { deleteMessage } from '../domain/deleteMessage';
import { editMessage } from '../domain/editMessage';
import { pinMessage } from '../domain/pins';
import { addReaction, removeReaction } from '../domain/reactions';
import { markRead } from '../domain/readState';
import { sendMessage } from '../domain/sendMessage';
import { sendTyping } from '../domain/typing';

export const Mutation: MutationResolvers = {
  sendMessage: (_root, { input }, ctx) => sendMessage(ctx, input),
  editMessage: (_root, { id, body }, ctx) => editMessage(ctx, id, body),
  deleteMessage: (_root, { id }, ctx) => deleteMessage(ctx, id),
  addReaction: (_root, { messageId, emoji }, ctx) => addReaction(ctx, messageId, emoji),
  removeReaction: (_root, { messageId, emoji }, ctx) => removeReaction(ctx, messageId, emoji),
  pinMessage: (_root, { id, pinned }, ctx) => pinMessage(ctx, id, pinned),
  markRead: (_root, { channelId, messageId }, ctx) => markRead(ctx, channelId, messageId),
  sendTyping: (_root, { channelId }, ctx) => sendTyping(ctx, channelId),
};
