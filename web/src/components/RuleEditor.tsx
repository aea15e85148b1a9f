import { useEffect, useState } from 'preact/hooks';
import { round4 } from '../../../src/domain/units.ts';
import { api } from '../lib/api.ts';
import { kindLabel } from '../lib/alarms.ts';
import { deltaToUnit, toUnit } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import type { AlarmRuleItem, AlarmSeverity, TempUnit, UnitAlarmRules } from '../lib/types.ts';
import { Empty, ErrorBox, Loading, TableWrap } from './ui.tsx';

/**
 * A unit's alarm rules. The API speaks the unit's own °C/°F; the editor shows the user's display
 * unit and converts only the fields typed in (threshold as a temperature, deadband as a difference),
 * so saving without a change sends back exactly what was loaded.
 */

type Field =
  'threshold' | 'deadband' | 'delay' | 'clearDelay' | 'cumulative' | 'window' | 'noData' | 'failures';
type Kind = AlarmRuleItem['kind'];
interface Row {
  rule: Partial<AlarmRuleItem> & Pick<AlarmRuleItem, 'kind' | 'severity' | 'enabled'>;
  /** What was typed, per field, in the display unit and in minutes/hours as labelled. */
  typed: Partial<Record<Field, string>>;
}

const TEMP_KINDS = new Set<Kind>(['high', 'low', 'predicted_breach']);
const KINDS: Kind[] = ['high', 'low', 'no_data', 'sensor_failure', 'predicted_breach'];
/** Seconds per unit the field is typed in. */
const SCALE: Record<Exclude<Field, 'threshold' | 'deadband'>, number> = {
  delay: 60,
  clearDelay: 60,
  cumulative: 60,
  window: 3600,
  noData: 60,
  failures: 1,
};
const KEY: Record<Exclude<Field, 'threshold' | 'deadband'>, keyof AlarmRuleItem> = {
  delay: 'delay_seconds',
  clearDelay: 'clear_delay_seconds',
  cumulative: 'cumulative_seconds',
  window: 'window_seconds',
  noData: 'no_data_seconds',
  failures: 'failures_in_row',
};

const trim = (v: number) => String(Number(v.toFixed(2)));

/** The value a field shows: what was typed, else the loaded value in the display unit. */
const shown = (row: Row, f: Field, own: TempUnit, unit: TempUnit): string => {
  const typed = row.typed[f];
  if (typed !== undefined) return typed;
  const r = row.rule;
  if (f === 'threshold') return r.threshold == null ? '' : trim(toUnit(r.threshold, own, unit));
  if (f === 'deadband') return r.deadband == null ? '' : trim(deltaToUnit(r.deadband, own, unit));
  const v = r[KEY[f]] as number | null | undefined;
  return v == null ? '' : trim(v / SCALE[f]);
};

const num = (s: string, what: string): number | null => {
  if (!s.trim()) return null;
  const v = Number(s.replace(',', '.'));
  if (!Number.isFinite(v)) throw new Error(`${what}: “${s}” is not a number.`);
  return v;
};

/** The rule to send: the loaded rule with the typed fields converted back to the unit's own. */
const toInput = (row: Row, own: TempUnit, unit: TempUnit) => {
  const out: Record<string, unknown> = { ...row.rule };
  const what = `${row.rule.severity} ${kindLabel(row.rule.kind).toLowerCase()}`;
  for (const [f, text] of Object.entries(row.typed) as [Field, string][]) {
    const v = num(text, what);
    if (f === 'threshold') out.threshold = v === null ? null : round4(toUnit(v, unit, own));
    else if (f === 'deadband') out.deadband = v === null ? null : round4(deltaToUnit(v, unit, own));
    else out[KEY[f]] = v === null ? null : Math.round(v * SCALE[f]);
  }
  if (TEMP_KINDS.has(row.rule.kind) && out.threshold == null) throw new Error(`${what}: enter a threshold.`);
  // A blank field is left out, which the API reads as the default of the rule's kind and severity
  // (no cumulative timer, the usual deadband); it refuses an explicit null cumulative timer.
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined));
};

export const RuleEditor = ({ unitId, unit }: { unitId: string; unit: TempUnit }) => {
  const loaded = useApi(
    (signal) => api<UnitAlarmRules>(`/units/${unitId}/alarm-rules`, { signal }),
    [unitId],
  );
  const [rows, setRows] = useState<Row[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // Rule changes are audited and need a reason (21 CFR 11: limits change with their why).
  const [reason, setReason] = useState('');
  const why = reason.trim();
  const NO_REASON = 'Give a reason for the change: it is kept in the audit trail.';
  const [newKind, setNewKind] = useState<Kind>('high');
  const [newSeverity, setNewSeverity] = useState<AlarmSeverity>('warning');
  // Typed values are in the display unit: a °C/°F switch starts the edit again from the loaded rules
  // rather than read "50" typed as °F as 50 °C.
  useEffect(
    () => setRows((loaded.data?.rules ?? []).map((rule) => ({ rule, typed: {} }))),
    [loaded.data, unit],
  );
  const own = loaded.data?.temperature_unit ?? unit;

  const edit = (i: number, change: Partial<Row['rule']> | { field: Field; text: string }) => {
    setSaved(null);
    setRows((rs) =>
      rs.map((r, k) =>
        k !== i
          ? r
          : 'field' in change
            ? { ...r, typed: { ...r.typed, [change.field]: change.text } }
            : { ...r, rule: { ...r.rule, ...change } },
      ),
    );
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    let rules: Record<string, unknown>[];
    try {
      rules = rows.map((r) => toInput(r, own, unit));
    } catch (err) {
      return setError((err as Error).message);
    }
    if (!why) return setError(NO_REASON);
    setBusy(true);
    try {
      await api(`/units/${unitId}/alarm-rules`, { method: 'PUT', body: { rules, reason: why } });
      setSaved(`Saved ${rules.length} rule${rules.length === 1 ? '' : 's'}.`);
      setReason('');
      loaded.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  /** Drops the unit's own rules: back to its equipment type's default, else the computed ones. */
  const reset = async () => {
    setError(null);
    setSaved(null);
    if (!why) return setError(NO_REASON);
    if (!confirm('Drop this unit’s own rules and use the defaults?')) return;
    try {
      await api(`/units/${unitId}/alarm-rules?reason=${encodeURIComponent(why)}`, { method: 'DELETE' });
      setSaved('Back to the default rules.');
      setReason('');
      loaded.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const input = (i: number, f: Field, label: string, enabled: boolean) =>
    enabled ? (
      <input
        class="rule-num"
        inputMode="decimal"
        aria-label={label}
        data-field={f}
        value={shown(rows[i]!, f, own, unit)}
        onInput={(e) => edit(i, { field: f, text: (e.target as HTMLInputElement).value })}
      />
    ) : (
      <span class="muted">—</span>
    );

  if (loaded.error) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  if (!loaded.data) return <Loading what="Loading the alarm rules" />;
  const source = {
    unit: 'set for this unit',
    equipment_type: 'the default for its equipment type',
    default: 'computed from the unit’s limits (no rules saved yet)',
  }[loaded.data.source];
  return (
    <form onSubmit={save} data-testid="rule-editor" data-source={loaded.data.source}>
      <p class="muted small">
        These rules are {source}. Temperatures in °{unit}
        {own !== unit ? ` (this unit reports in °${own}; they are saved in °${own})` : ''}; times in minutes,
        the cumulative window in hours. A value equal to the threshold counts as beyond it.
      </p>
      {rows.length === 0 && <Empty>No rules: this unit raises no alarm.</Empty>}
      {rows.length > 0 && (
        <TableWrap label="Alarm rules">
          <table class="rule-table">
            <thead>
              <tr>
                <th scope="col">On</th>
                <th scope="col">Kind</th>
                <th scope="col">Severity</th>
                <th scope="col">Threshold °{unit}</th>
                <th scope="col">Delay min</th>
                <th scope="col">Deadband °{unit}</th>
                <th scope="col">Clear delay min</th>
                <th scope="col">Cumulative min / window h</th>
                <th scope="col">No data min / failures</th>
                {/* Visible: an off-screen label would escape the scrolling wrapper and widen a phone's page. */}
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => {
                const temp = TEMP_KINDS.has(r.rule.kind);
                const name = `${r.rule.severity} ${kindLabel(r.rule.kind).toLowerCase()}`;
                return (
                  <tr key={r.rule.id ?? `new-${i}`} data-rule-id={r.rule.id ?? ''} data-kind={r.rule.kind}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${name}: enabled`}
                        checked={r.rule.enabled}
                        onChange={(e) => edit(i, { enabled: (e.target as HTMLInputElement).checked })}
                      />
                    </td>
                    <td>{kindLabel(r.rule.kind)}</td>
                    <td>
                      <select
                        aria-label={`${name}: severity`}
                        value={r.rule.severity}
                        onChange={(e) =>
                          edit(i, { severity: (e.target as HTMLSelectElement).value as AlarmSeverity })
                        }
                      >
                        <option value="warning">Warning</option>
                        <option value="critical">Critical</option>
                      </select>
                    </td>
                    <td>{input(i, 'threshold', `${name}: threshold °${unit}`, temp)}</td>
                    <td>{input(i, 'delay', `${name}: delay in minutes`, r.rule.kind !== 'no_data')}</td>
                    <td>{input(i, 'deadband', `${name}: deadband °${unit}`, temp)}</td>
                    <td>{input(i, 'clearDelay', `${name}: clear delay in minutes`, temp)}</td>
                    <td>
                      {input(i, 'cumulative', `${name}: cumulative minutes`, temp)}{' '}
                      {input(i, 'window', `${name}: window in hours`, temp)}
                    </td>
                    <td>
                      {r.rule.kind === 'no_data'
                        ? input(i, 'noData', `${name}: no data for minutes`, true)
                        : input(
                            i,
                            'failures',
                            `${name}: failed reads in a row`,
                            r.rule.kind === 'sensor_failure',
                          )}
                    </td>
                    <td>
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Remove the ${name} rule`}
                        onClick={() => setRows((rs) => rs.filter((_, k) => k !== i))}
                      >
                        ✕
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <div class="field">
        <label for="rule-reason">Reason for the change (required, kept in the audit trail)</label>
        <input
          id="rule-reason"
          data-testid="rules-reason"
          maxLength={2000}
          value={reason}
          placeholder="e.g. SOP-12: vaccines 2–8 °C"
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="actions rule-actions">
        <label for="rule-new-kind">Add a rule</label>
        <select
          id="rule-new-kind"
          value={newKind}
          onChange={(e) => setNewKind((e.target as HTMLSelectElement).value as Kind)}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {kindLabel(k)}
            </option>
          ))}
        </select>
        <select
          aria-label="Severity of the new rule"
          value={newSeverity}
          onChange={(e) => setNewSeverity((e.target as HTMLSelectElement).value as AlarmSeverity)}
        >
          <option value="warning">Warning</option>
          <option value="critical">Critical</option>
        </select>
        <button
          type="button"
          class="btn btn-small"
          onClick={() =>
            setRows((rs) => [
              ...rs,
              { rule: { kind: newKind, severity: newSeverity, enabled: true }, typed: {} },
            ])
          }
        >
          Add
        </button>
        <span class="spacer" />
        {loaded.data.source === 'unit' && (
          <button type="button" class="btn" onClick={() => void reset()}>
            Use the defaults
          </button>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="rules-save">
          Save rules
        </button>
      </div>
      <ErrorBox error={error ?? undefined} />
      {saved && (
        <p class="alert alert-success" role="status" data-testid="rules-saved">
          {saved}
        </p>
      )}
    </form>
  );
};
