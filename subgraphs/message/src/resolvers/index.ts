import type { Resolvers } from '../__generated__/resolvers-types';
import { Channel } from './Channel';
import { DateTime } from './DateTime';
import { Message } from './Message';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { User } from './User';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  Message,
  Channel,
  User,
  DateTime,
};
