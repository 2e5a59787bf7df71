import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { AddReactionDocument, RemoveReactionDocument, type ReactionItemFragment } from '../gql/graphql';

export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '👀', '🙏'];

/** What the reactions become when the caller toggles `emoji`: the optimistic answer. */
export function toggled(reactions: ReactionItemFragment[], emoji: string): ReactionItemFragment[] {
  const existing = reactions.find((r) => r.emoji === emoji);
  if (!existing) return [...reactions, { __typename: 'ReactionSummary', emoji, count: 1, viewerHasReacted: true }];
  const count = existing.count + (existing.viewerHasReacted ? -1 : 1);
  if (count === 0) return reactions.filter((r) => r !== existing);
  return reactions.map((r) => (r === existing ? { ...r, count, viewerHasReacted: !r.viewerHasReacted } : r));
}

/** A message's reactions as toggles, and a small palette to add one. */
export function Reactions({ messageId, reactions, canReact }: { messageId: string; reactions: ReactionItemFragment[]; canReact: boolean }) {
  const [add] = useMutation(AddReactionDocument);
  const [remove] = useMutation(RemoveReactionDocument);
  const [picking, setPicking] = useState(false);

  const toggle = (emoji: string) => {
    setPicking(false);
    const mine = reactions.find((r) => r.emoji === emoji)?.viewerHasReacted ?? false;
    const optimistic = { __typename: 'Message' as const, id: messageId, reactions: toggled(reactions, emoji) };
    const variables = { messageId, emoji };
    // Failures roll the optimistic answer back; there is nothing else to undo.
    if (mine) void remove({ variables, optimisticResponse: { removeReaction: optimistic } }).catch(() => {});
    else void add({ variables, optimisticResponse: { addReaction: optimistic } }).catch(() => {});
  };

  return (
    <>
      {reactions.length > 0 && (
        <div className="reactions" data-testid="reactions">
          {reactions.map((r) => (
            <button
              key={r.emoji}
              className={r.viewerHasReacted ? 'reaction mine' : 'reaction'}
              disabled={!canReact}
              aria-pressed={r.viewerHasReacted}
              aria-label={`${r.emoji} ${r.count}`}
              onClick={() => toggle(r.emoji)}
            >
              {r.emoji} <span className="count">{r.count}</span>
            </button>
          ))}
        </div>
      )}
      {canReact && (
        <span className="react-add">
          <button className="reaction add" aria-label="Add reaction" aria-expanded={picking} onClick={() => setPicking((p) => !p)}>
            ☺+
          </button>
          {picking && (
            <span className="palette" role="menu">
              {QUICK_EMOJI.map((emoji) => (
                <button key={emoji} role="menuitem" aria-label={`React with ${emoji}`} onClick={() => toggle(emoji)}>
                  {emoji}
                </button>
              ))}
            </span>
          )}
        </span>
      )}
    </>
  );
}
