// The settings form, generated from a model's config schema (the same schema the CLI validates with): one
// field per key, grouped by `group`, the description as help text, and the schema's error message beside the
// field. Values are parsed leniently (text stays text) so that the schema, not the form, says what is wrong.
import { allowedText, validateConfig, type ConfigError, type FieldSpec, type Schema } from '../config/schema';

export interface SettingsForm {
  element: HTMLElement;
  /** The raw values as typed (numbers where the text is a number, lists for comma-separated per-replica fields). */
  values(): Record<string, unknown>;
  setValues(values: Record<string, unknown>): void;
  /** Validates with the schema and `check`, shows every message beside its field; returns the config or null. */
  validate(): Record<string, unknown> | null;
}

function parseNumberText(text: string): unknown {
  const t = text.trim();
  const n = Number(t);
  return t !== '' && !Number.isNaN(n) ? n : t;
}

export function parseFieldText(spec: FieldSpec, text: string): unknown {
  switch (spec.type) {
    case 'int':
    case 'number':
      return spec.perReplica && text.includes(',') ? text.split(',').map(parseNumberText) : parseNumberText(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

export function formatFieldValue(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export function buildSettingsForm(
  schema: Schema,
  initial: Record<string, unknown>,
  check: (config: Record<string, unknown>) => ConfigError[],
  onInput: () => void,
): SettingsForm {
  const element = document.createElement('div');
  element.className = 'settings';
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const messages = new Map<string, HTMLElement>();
  const general = document.createElement('div');
  general.className = 'field-error general-error';
  general.dataset.key = '(config)';

  const groups = new Map<string, HTMLFieldSetElement>();
  for (const [key, spec] of Object.entries(schema)) {
    const groupName = spec.group ?? 'settings';
    let fieldset = groups.get(groupName);
    if (!fieldset) {
      fieldset = document.createElement('fieldset');
      fieldset.innerHTML = `<legend>${groupName}</legend>`;
      groups.set(groupName, fieldset);
      element.append(fieldset);
    }
    const row = document.createElement('div');
    row.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = `field-${key}`;
    label.textContent = key;
    label.title = spec.description;
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.type === 'enum') {
      input = document.createElement('select');
      for (const option of spec.options ?? []) input.add(new Option(option, option));
    } else if (spec.type === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.inputMode = spec.type === 'string' ? 'text' : 'decimal';
      input.placeholder = allowedText(spec) + (spec.perReplica ? ' (or one per replica, comma-separated)' : '');
    }
    input.id = `field-${key}`;
    input.name = key;
    input.addEventListener('input', onInput);
    input.addEventListener('change', onInput);
    const help = document.createElement('div');
    help.className = 'help';
    help.textContent = spec.description;
    const message = document.createElement('div');
    message.className = 'field-error';
    message.dataset.key = key;
    message.id = `error-${key}`;
    row.append(label, input, message, help);
    fieldset.append(row);
    inputs.set(key, input);
    messages.set(key, message);
  }
  element.append(general);

  const form: SettingsForm = {
    element,
    values() {
      const raw: Record<string, unknown> = {};
      for (const [key, input] of inputs) {
        const spec = schema[key];
        raw[key] = spec.type === 'boolean' ? (input as HTMLInputElement).checked : parseFieldText(spec, input.value);
      }
      return raw;
    },
    setValues(values) {
      for (const [key, input] of inputs) {
        const value = key in values ? values[key] : schema[key].default;
        if (schema[key].type === 'boolean') (input as HTMLInputElement).checked = value === true;
        else input.value = formatFieldValue(value);
      }
    },
    validate() {
      const { config, errors } = validateConfig(schema, form.values());
      if (errors.length === 0) errors.push(...check(config));
      const byKey = new Map<string, string[]>();
      for (const e of errors) {
        const key = messages.has(e.key) ? e.key : '(config)';
        byKey.set(key, [...(byKey.get(key) ?? []), e.message]);
      }
      for (const [key, message] of messages) {
        message.textContent = (byKey.get(key) ?? []).join('; ');
        inputs.get(key)!.classList.toggle('invalid', byKey.has(key));
      }
      general.textContent = (byKey.get('(config)') ?? []).join('; ');
      return errors.length === 0 ? config : null;
    },
  };
  form.setValues(initial);
  return form;
}
