import type { Resolvers } from '../__generated__/resolvers-types';
import { Channel } from './Channel';
import { DateTime } from './DateTime';
import { Mutation } from './Mutation';
import { Subscription } from './Subscription';
import { VoiceParticipant } from './VoiceParticipant';

export const resolvers: Resolvers = {
  Mutation,
  Subscription,
  VoiceParticipant,
  Channel,
  DateTime,
};
