import { useState, type FormEvent, type KeyboardEvent } from 'react';

const MAX_BODY = 4000;

/** The message box: Enter sends, Shift+Enter starts a new line. */
export function Composer(props: { placeholder: string; disabled?: boolean; onSend: (body: string) => void; onTyping?: () => void }) {
  const [body, setBody] = useState('');
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const text = body.trim();
    if (!text || props.disabled) return;
    props.onSend(text);
    setBody('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        value={body}
        rows={1}
        maxLength={MAX_BODY}
        placeholder={props.disabled ? 'This channel is archived.' : props.placeholder}
        disabled={props.disabled}
        aria-label="Message"
        onChange={(e) => {
          setBody(e.target.value);
          if (e.target.value) props.onTyping?.();
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" disabled={props.disabled || !body.trim()}>
        Send
      </button>
    </form>
  );
}
