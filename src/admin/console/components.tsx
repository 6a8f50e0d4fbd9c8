import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/** Field errors by field name; `_form` holds an error that belongs to no single field. */
export type FieldErrors = Record<string, string>;

/** Turns a failed request into errors shown next to the field the server named, or above the form. */
export function errorsFrom(error: unknown): FieldErrors {
  if (error instanceof ApiError) return error.field ? { [error.field]: error.description } : { _form: error.description };
  return { _form: error instanceof Error ? error.message : 'something went wrong' };
}

export function Field(props: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <small class="hint">{props.hint}</small>}
      {props.error && (
        <small class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

export function FormError(props: { errors: FieldErrors }) {
  return props.errors._form ? (
    <p class="form-error" role="alert">
      {props.errors._form}
    </p>
  ) : null;
}

export function Notice(props: { kind?: 'info' | 'warning' | 'success'; children: ComponentChildren }) {
  return <div class={`notice notice-${props.kind ?? 'info'}`}>{props.children}</div>;
}

/** A secret shown once: a read-only box, a copy button, and a plain statement that it will not be shown again. */
export function SecretPanel(props: { clientId: string; clientName: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(props.secret);
    setCopied(true);
  };
  return (
    <section class="secret-panel" aria-label="client secret">
      <h3>Client secret — shown only now</h3>
      <p>
        Copy the secret of <strong class="secret-client-name">{props.clientName}</strong> (client id <code>{props.clientId}</code>) and
        store it safely. Portcullis keeps only a hash of it and
        cannot show it again; if it is lost, rotate the secret.
      </p>
      <div class="secret-row">
        <input id="client-secret" readOnly value={props.secret} onFocus={(event) => event.currentTarget.select()} />
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" class="secondary" onClick={props.onDone}>
        I have stored it
      </button>
    </section>
  );
}

/** A destructive action: the button opens a dialog that says what will happen and asks to confirm. */
export function ConfirmButton(props: {
  label: string;
  title: string;
  message: ComponentChildren;
  confirmLabel?: string;
  danger?: boolean;
  onConfirm: () => Promise<void> | void;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      setOpen(false);
    } catch (caught) {
      setError(errorsFrom(caught)._form ?? Object.values(errorsFrom(caught))[0]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.danger === false ? 'secondary' : 'danger'} onClick={() => setOpen(true)}>
        {props.label}
      </button>
      {open && (
        <div class="modal-backdrop">
          <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
            <h3 id="confirm-title">{props.title}</h3>
            <div>{props.message}</div>
            {error && <p class="form-error">{error}</p>}
            <div class="actions">
              <button type="button" class="secondary" onClick={() => setOpen(false)} disabled={busy}>
                Cancel
              </button>
              <button type="button" class="danger" onClick={confirm} disabled={busy}>
                {props.confirmLabel ?? props.label}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

export interface Column<T> {
  label: string;
  render: (row: T) => ComponentChildren;
}

/** A table with a text filter (over `filterText`) and pages of `pageSize` rows. */
export function DataTable<T>(props: {
  id: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  filterText: (row: T) => string;
  pageSize?: number;
  empty?: string;
}) {
  const pageSize = props.pageSize ?? 10;
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return needle === '' ? props.rows : props.rows.filter((row) => props.filterText(row).toLowerCase().includes(needle));
  }, [props.rows, filter]);
  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  useEffect(() => {
    if (page >= pages) setPage(pages - 1);
  }, [pages]);
  const slice = shown.slice(page * pageSize, (page + 1) * pageSize);
  return (
    <div class="table-wrap">
      <div class="table-tools">
        <input
          id={`${props.id}-filter`}
          type="search"
          placeholder="Filter…"
          aria-label="Filter"
          value={filter}
          onInput={(event) => {
            setFilter(event.currentTarget.value);
            setPage(0);
          }}
        />
        <span class="muted">
          {shown.length} of {props.rows.length}
        </span>
      </div>
      <table id={props.id}>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column.label}>{column.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {slice.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.rows.length > 0 ? 'Nothing matches the filter.' : (props.empty ?? 'Nothing to show.')}
              </td>
            </tr>
          ) : (
            slice.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((column) => (
                  <td key={column.label}>{column.render(row)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {pages > 1 && (
        <div class="pager">
          <button type="button" class="secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" class="secondary" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </div>
      )}
    </div>
  );
}

/** Loads data once and on demand; `reload` after a change. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(undefined)),
      (caught: unknown) => live && setError(errorsFrom(caught)._form ?? 'failed to load'),
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  return { data, error, reload: () => setTick((value) => value + 1) };
}

export function Checkboxes(props: {
  id: string;
  options: string[];
  selected: string[];
  onChange: (selected: string[]) => void;
  empty?: string;
  /** What to show for an option, when not the value itself. */
  label?: (option: string) => string;
}) {
  if (props.options.length === 0) return <p class="muted">{props.empty ?? 'None defined yet.'}</p>;
  return (
    <div class="checkboxes" id={props.id}>
      {props.options.map((option) => (
        <label key={option} class="check">
          <input
            type="checkbox"
            name={props.id}
            value={option}
            checked={props.selected.includes(option)}
            onChange={(event) =>
              props.onChange(event.currentTarget.checked ? [...props.selected, option] : props.selected.filter((item) => item !== option))
            }
          />
          {props.label ? props.label(option) : option}
        </label>
      ))}
    </div>
  );
}

export function formatTime(iso: string | null): string {
  return iso === null ? 'never' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A client as people name it: `Shop app 1.0`. */
export function clientLabel(client: { name: string; version: string }): string {
  return client.version ? `${client.name} ${client.version}` : client.name;
}
