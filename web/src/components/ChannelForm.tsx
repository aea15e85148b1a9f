import { useState } from 'preact/hooks';
import type { AlarmSeverity, NotificationChannel } from '../lib/types.ts';
import { ErrorBox } from './ui.tsx';

export interface ChannelBody {
  name: string | null;
  type?: NotificationChannel['type'];
  target: string;
  min_severity: AlarmSeverity;
  escalate_after_seconds: number;
  repeat_seconds: number | null;
  is_active: boolean;
}

/** Minutes typed → seconds; blank is `blank`. */
const minutesToSeconds = (s: string, blank: number | null): number | null => {
  if (!s.trim()) return blank;
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) throw new Error(`“${s}” is not a number of minutes.`);
  return Math.round(v * 60);
};
const secondsToMinutes = (v: number | null | undefined) => (v ? String(v / 60) : '');

/** Creates a channel, or edits one (its type is fixed once created). */
export const ChannelForm = ({
  channel,
  onSave,
  onCancel,
}: {
  channel: NotificationChannel | null;
  onSave: (body: ChannelBody) => Promise<void>;
  onCancel: () => void;
}) => {
  const [type, setType] = useState<NotificationChannel['type']>(channel?.type ?? 'email');
  const [name, setName] = useState(channel?.name ?? '');
  const [target, setTarget] = useState(channel?.target ?? '');
  const [severity, setSeverity] = useState<AlarmSeverity>(channel?.min_severity ?? 'warning');
  const [escalate, setEscalate] = useState(secondsToMinutes(channel?.escalate_after_seconds));
  const [repeat, setRepeat] = useState(secondsToMinutes(channel?.repeat_seconds));
  const [active, setActive] = useState(channel?.is_active ?? true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await onSave({
        name: name.trim() || null,
        ...(channel ? {} : { type }),
        target: target.trim(),
        min_severity: severity,
        escalate_after_seconds: minutesToSeconds(escalate, 0) ?? 0,
        repeat_seconds: minutesToSeconds(repeat, null),
        is_active: active,
      });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="subform"
      onSubmit={submit}
      data-testid="channel-form"
      aria-label={channel ? 'Edit the channel' : 'Add a channel'}
    >
      <div class="form-grid">
        <div class="field">
          <label for="ch-type">Type</label>
          <select
            id="ch-type"
            value={type}
            disabled={!!channel}
            onChange={val((v) => setType(v as typeof type))}
          >
            <option value="email">E-mail</option>
            <option value="webhook">Webhook (POST JSON, signed)</option>
          </select>
        </div>
        <div class="field">
          <label for="ch-target">{type === 'email' ? 'E-mail address' : 'Webhook URL (https://…)'}</label>
          <input
            id="ch-target"
            type={type === 'email' ? 'email' : 'url'}
            required
            maxLength={2048}
            value={target}
            onInput={val(setTarget)}
          />
        </div>
        <div class="field">
          <label for="ch-name">Name (optional)</label>
          <input id="ch-name" maxLength={255} value={name} onInput={val(setName)} />
        </div>
        <div class="field">
          <label for="ch-severity">Alarms sent</label>
          <select id="ch-severity" value={severity} onChange={val((v) => setSeverity(v as AlarmSeverity))}>
            <option value="warning">Warning and critical</option>
            <option value="critical">Critical only</option>
          </select>
        </div>
        <div class="field">
          <label for="ch-escalate">Escalate after (min, blank = at once)</label>
          <input id="ch-escalate" inputMode="decimal" value={escalate} onInput={val(setEscalate)} />
        </div>
        <div class="field">
          <label for="ch-repeat">Repeat every (min, blank = never, at least 1)</label>
          <input id="ch-repeat" inputMode="decimal" value={repeat} onInput={val(setRepeat)} />
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={active}
            onChange={(e) => setActive((e.target as HTMLInputElement).checked)}
          />{' '}
          Active
        </label>
      </div>
      <div class="actions">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !target.trim()}
          data-testid="channel-save"
        >
          {channel ? 'Save' : 'Add the channel'}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorBox error={error ?? undefined} />
    </form>
  );
};
