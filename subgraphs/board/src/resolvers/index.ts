import type { Resolvers } from '../__generated__/resolvers-types';
import { Channel } from './Channel';
import { DateTime } from './DateTime';
import { Mutation } from './Mutation';
import { Post } from './Post';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { Thread } from './Thread';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  Channel,
  Thread,
  Post,
  DateTime,
};
