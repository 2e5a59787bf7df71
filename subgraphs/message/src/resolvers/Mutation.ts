import type { MutationResolvers } from '../__generated__/resolvers-types';
import { sendMessage } from '../domain/sendMessage';

export const Mutation: MutationResolvers = {
  sendMessage: (_root, { input }, ctx) => sendMessage(ctx, input),
};
