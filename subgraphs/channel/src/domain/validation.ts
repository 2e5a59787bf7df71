import { badInput } from '@commons/shared';

export const NAME_MAX = 80;
export const TOPIC_MAX = 500;

/** Length in characters (code points), not UTF-16 units, so an emoji counts once. */
const length = (s: string) => [...s].length;

/** A channel name, trimmed: 1..80 characters. */
export function validName(name: string): string {
  const trimmed = name.trim();
  if (length(trimmed) === 0) throw badInput('A channel name must not be empty', 'name');
  if (length(trimmed) > NAME_MAX) throw badInput(`A channel name has at most ${NAME_MAX} characters`, 'name');
  return trimmed;
}

/** A topic, trimmed: at most 500 characters; empty means none (null). */
export function validTopic(topic: string): string | null {
  const trimmed = topic.trim();
  if (length(trimmed) > TOPIC_MAX) throw badInput(`A topic has at most ${TOPIC_MAX} characters`, 'topic');
  return trimmed || null;
}
