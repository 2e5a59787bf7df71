import type { Resolvers } from '../__generated__/resolvers-types';
import { Channel } from './Channel';
import { DateTime } from './DateTime';
import { Membership } from './Membership';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { User } from './User';

export const resolvers: Resolvers = { Query, Mutation, User, Channel, Membership, DateTime };
