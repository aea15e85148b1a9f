import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { isShelved, refreshAlarmCounts } from '../lib/alarms.ts';
import type { AlarmItem } from '../lib/types.ts';
import { ErrorBox } from './ui.tsx';

/** Posts an action on an alarm; tells the header and lists to count again when it succeeded. */
const useAlarmAction = (onDone: () => void) => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (path: string, body: unknown) => {
    setBusy(true);
    setError(null);
    try {
      await api(path, { method: 'POST', body });
      refreshAlarmCounts();
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
};

/**
 * Acknowledging needs a comment (what was found and done): the button stays disabled until one is
 * typed, and the API's refusal, if any, is shown as it said it.
 */
export const AckForm = ({
  alarm,
  onDone,
  onCancel,
}: {
  alarm: Pick<AlarmItem, 'id'>;
  onDone: () => void;
  onCancel?: () => void;
}) => {
  const [comment, setComment] = useState('');
  const { busy, error, run } = useAlarmAction(onDone);
  const fid = `ack-${alarm.id}`;
  return (
    <form
      class="alarm-form"
      data-testid="ack-form"
      aria-label="Acknowledge the alarm"
      onSubmit={(e) => {
        e.preventDefault();
        void run(`/alarms/${alarm.id}/acknowledge`, { comment: comment.trim() });
      }}
    >
      <div class="field">
        <label for={fid}>Comment (required): what was found and what was done</label>
        <textarea
          id={fid}
          rows={2}
          maxLength={2000}
          value={comment}
          data-testid="ack-comment"
          onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
        />
      </div>
      <div class="actions">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !comment.trim()}
          data-testid="ack-submit"
        >
          Acknowledge
        </button>
        {onCancel && (
          <button type="button" class="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <ErrorBox error={error ?? undefined} />
    </form>
  );
};

const SHELVE_CHOICES = [
  [30, '30 min'],
  [60, '1 h'],
  [240, '4 h'],
  [480, '8 h'],
  [1440, '24 h'],
  [4320, '3 days'],
] as const;

/**
 * Shelving silences repeat and escalation notifications for a while (maintenance, a known defrost);
 * it needs a reason. A shelved alarm can be unshelved at once.
 */
export const ShelveForm = ({
  alarm,
  onDone,
}: {
  alarm: Pick<AlarmItem, 'id' | 'shelved_until' | 'shelved_reason'>;
  onDone: () => void;
}) => {
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAlarmAction(onDone);
  const shelved = isShelved(alarm);
  return (
    <form
      class="alarm-form"
      data-testid="shelve-form"
      aria-label="Shelve the alarm"
      onSubmit={(e) => {
        e.preventDefault();
        void run(`/alarms/${alarm.id}/shelve`, { minutes, reason: reason.trim() });
      }}
    >
      <div class="form-grid">
        <div class="field">
          <label for="shelve-minutes">Shelve for</label>
          <select
            id="shelve-minutes"
            value={minutes}
            onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}
          >
            {SHELVE_CHOICES.map(([m, label]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="shelve-reason">Reason (required)</label>
          <input
            id="shelve-reason"
            maxLength={1000}
            value={reason}
            data-testid="shelve-reason"
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="btn" disabled={busy || !reason.trim()} data-testid="shelve-submit">
          {shelved ? 'Shelve again' : 'Shelve'}
        </button>
        {shelved && (
          <button
            type="button"
            class="btn"
            disabled={busy}
            onClick={() => void run(`/alarms/${alarm.id}/unshelve`, {})}
          >
            Unshelve now
          </button>
        )}
      </div>
      <ErrorBox error={error ?? undefined} />
    </form>
  );
};
